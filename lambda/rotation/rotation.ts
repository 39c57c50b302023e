/**
 * Secrets Manager rotation for PostgreSQL, the four-step protocol with AWSPENDING/AWSCURRENT
 * labels. Every step may be called again by Secrets Manager, so each one first checks whether
 * its work is already done. Single-user strategy: a user's own password is changed while
 * logged in as itself, or, when the secret names a `masterarn`, by the master user (which also
 * creates the application user the first time, with LOGIN and membership in APP_ROLE only).
 *
 * The database only ever receives a SCRAM-SHA-256 verifier, never a password (scram.ts), so a
 * server log of a failed statement holds nothing that logs in. That is also why a retried
 * setSecret may re-send the same pending password: Secrets Manager keeps one value per version
 * (the token), and what could have leaked is a salted verifier, not the password.
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Client } from 'pg';
import { Credentials } from '../shared/credentials';
import {
  LoginCandidate,
  loginWithFirstAccepted,
  masterCandidates,
  readCredentials,
  readCredentialsIfAny,
  unlabelledVersionIds,
} from '../shared/secret-login';
import { APP_ROLE, applyRoleBaseline, OWNER_ROLE } from '../schema/roles';
import { scramSha256Verifier } from './scram';

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type Step = (typeof STEPS)[number];

export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: Step;
}

/** Characters left out of generated passwords: those RDS or connection strings choke on. */
export const EXCLUDED_PASSWORD_CHARACTERS = '/@"\'\\ ';

/** How many unlabelled versions setSecret tries when no labelled password logs in. */
export const ABANDONED_VERSIONS_TRIED = 10;

export class RotationRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationRequestError';
  }
}

export function parseRotationEvent(event: unknown): RotationEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['SecretId', 'ClientRequestToken', 'Step']) {
    if (typeof e[key] !== 'string' || (e[key] as string).length === 0) problems.push(`${key} is missing`);
  }
  if (typeof e.Step === 'string' && !(STEPS as readonly string[]).includes(e.Step)) {
    problems.push(`Step "${e.Step}" is not one of ${STEPS.join(', ')}`);
  }
  if (problems.length > 0) throw new RotationRequestError(`invalid rotation event: ${problems.join('; ')}`);
  return e as unknown as RotationEvent;
}

export interface RotationDeps {
  readonly secrets: SecretsManagerClient;
  /** Open a session as the given user; throws if the database refuses the login. */
  readonly connect: (credentials: Credentials) => Promise<Client>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

async function canLogin(deps: RotationDeps, credentials: Credentials): Promise<boolean> {
  try {
    const session = await deps.connect(credentials);
    await session.query('SELECT 1');
    await session.end();
    return true;
  } catch {
    return false;
  }
}

function assertSameTarget(pending: Credentials, current: Credentials): void {
  if (pending.username !== current.username || pending.host !== current.host || pending.port !== current.port) {
    throw new Error('pending and current versions name different users or hosts; refusing to rotate');
  }
}

async function createSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  // Parsing AWSCURRENT first means a malformed secret fails before anything is written.
  const current = await readCredentials(deps.secrets, event.SecretId, 'AWSCURRENT');
  if (await readCredentialsIfAny(deps.secrets, event.SecretId, 'AWSPENDING', event.ClientRequestToken)) {
    deps.logger.info('createSecret: pending version already exists');
    return;
  }
  const random = await deps.secrets.send(
    new GetRandomPasswordCommand({ PasswordLength: 32, ExcludeCharacters: EXCLUDED_PASSWORD_CHARACTERS }),
  );
  if (!random.RandomPassword) throw new Error('GetRandomPassword returned no password');
  await deps.secrets.send(
    new PutSecretValueCommand({
      SecretId: event.SecretId,
      ClientRequestToken: event.ClientRequestToken,
      SecretString: JSON.stringify({ ...current, password: random.RandomPassword }),
      VersionStages: ['AWSPENDING'],
    }),
  );
  deps.logger.info('createSecret: pending version stored');
}

/**
 * The user's own passwords that may be the live one: AWSCURRENT, AWSPREVIOUS, then versions
 * that lost their label. A rotation that stopped after setSecret leaves the live password on
 * its pending version; if that label is then removed (the clean-up AWS documents after
 * CancelRotateSecret) and a new rotation starts, that version is the only one that logs in.
 */
async function ownCandidates(
  deps: RotationDeps,
  event: RotationEvent,
  pending: Credentials,
  current: Credentials,
): Promise<LoginCandidate[]> {
  const candidates: LoginCandidate[] = [{ source: 'AWSCURRENT', credentials: current }];
  const previous = await readCredentialsIfAny(deps.secrets, event.SecretId, 'AWSPREVIOUS');
  if (previous) candidates.push({ source: 'AWSPREVIOUS', credentials: previous });
  const abandoned = (await unlabelledVersionIds(deps.secrets, event.SecretId, ABANDONED_VERSIONS_TRIED)).filter(
    (id) => id !== event.ClientRequestToken,
  );
  for (const versionId of abandoned) {
    const credentials = await readCredentialsIfAny(deps.secrets, event.SecretId, undefined, versionId).catch(
      () => undefined, // a malformed old value is simply not a candidate
    );
    if (credentials) candidates.push({ source: `unlabelled version ${versionId}`, credentials });
  }
  // Never send another user's or host's password anywhere.
  return candidates.filter(
    (c) =>
      c.credentials.username === pending.username &&
      c.credentials.host === pending.host &&
      c.credentials.port === pending.port,
  );
}

/**
 * Create the application's login user (LOGIN, member of APP_ROLE, nothing else) or re-key it.
 * Runs as master after the role baseline shared with the schema function, so whichever of the
 * two runs first, the user never holds PostgreSQL's default rights and ends up in APP_ROLE. Plain
 * `ALTER ROLE ... PASSWORD` for an existing user: it keeps an operator's NOLOGIN in place.
 */
export async function provisionAppUser(session: Client, username: string, verifier: string): Promise<void> {
  if (username === APP_ROLE || username === OWNER_ROLE)
    throw new Error(`the application user cannot be named ${username}: that is a group role`);
  const user = session.escapeIdentifier(username);
  await session.query('BEGIN');
  try {
    await applyRoleBaseline(session);
    const existing = (
      await session.query<{ privileged: boolean }>(
        `SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls AS privileged
           FROM pg_roles WHERE rolname = $1`,
        [username],
      )
    ).rows[0];
    if (existing?.privileged)
      throw new Error(
        `user ${username} is privileged (superuser, CREATEROLE, ...); refusing to manage it as the application user`,
      );
    if (existing) await session.query(`ALTER ROLE ${user} PASSWORD ${session.escapeLiteral(verifier)}`);
    else await session.query(`CREATE ROLE ${user} WITH LOGIN PASSWORD ${session.escapeLiteral(verifier)}`);
    await session.query(`GRANT ${session.escapeIdentifier(APP_ROLE)} TO ${user}`);
    await session.query('COMMIT');
  } catch (e) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

async function setSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const pending = await readCredentials(deps.secrets, event.SecretId, 'AWSPENDING', event.ClientRequestToken);
  const current = await readCredentials(deps.secrets, event.SecretId, 'AWSCURRENT');
  assertSameTarget(pending, current);
  if (await canLogin(deps, pending)) {
    deps.logger.info('setSecret: the database already accepts the pending password');
    return;
  }
  const verifier = scramSha256Verifier(pending.password);

  if (pending.masterarn) {
    // The master password goes only to the host its own secret names: whoever can edit the
    // application secret must not be able to point the master login elsewhere.
    const candidates = (await masterCandidates(deps.secrets, pending.masterarn)).filter(
      (c) => c.credentials.host === pending.host && c.credentials.port === pending.port,
    );
    if (candidates.length === 0)
      throw new Error('the master secret names another host than the application secret; refusing to rotate');
    const { session, used } = await loginWithFirstAccepted(
      deps,
      candidates.map((c) => ({ ...c, credentials: { ...c.credentials, dbname: pending.dbname } })),
    );
    deps.logger.info('setSecret: logged in as master', { credential: used.source });
    try {
      await provisionAppUser(session, pending.username, verifier);
    } finally {
      await session.end().catch(() => undefined);
    }
  } else {
    const { session, used } = await loginWithFirstAccepted(deps, await ownCandidates(deps, event, pending, current));
    if (used.source !== 'AWSCURRENT')
      deps.logger.warn('setSecret: AWSCURRENT is refused; logged in with another version', { credential: used.source });
    try {
      // No WITH LOGIN: changing one's own LOGIN needs CREATEROLE, the password alone does not.
      await session.query(
        `ALTER ROLE ${session.escapeIdentifier(pending.username)} PASSWORD ${session.escapeLiteral(verifier)}`,
      );
    } finally {
      await session.end().catch(() => undefined);
    }
  }
  deps.logger.info('setSecret: password set in the database', { username: pending.username });
}

async function testSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const pending = await readCredentials(deps.secrets, event.SecretId, 'AWSPENDING', event.ClientRequestToken);
  const session = await deps.connect(pending);
  try {
    await session.query('SELECT 1');
  } finally {
    await session.end().catch(() => undefined);
  }
  deps.logger.info('testSecret: pending credentials log in');
}

async function finishSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const meta = await deps.secrets.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
  const current = Object.entries(meta.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  )?.[0];
  if (current === event.ClientRequestToken) {
    deps.logger.info('finishSecret: version is already AWSCURRENT');
    return;
  }
  await deps.secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: event.SecretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: event.ClientRequestToken,
      RemoveFromVersionId: current,
    }),
  );
  deps.logger.info('finishSecret: pending version is now AWSCURRENT');
}

const STEP_FUNCTIONS: Record<Step, (event: RotationEvent, deps: RotationDeps) => Promise<void>> = {
  createSecret,
  setSecret,
  testSecret,
  finishSecret,
};

/** Validate the request against the secret's state (as AWS's templates do), then run the step. */
export async function rotate(rawEvent: unknown, deps: RotationDeps): Promise<void> {
  const event = parseRotationEvent(rawEvent);
  const meta = await deps.secrets.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
  if (!meta.RotationEnabled) throw new RotationRequestError(`rotation is not enabled for ${event.SecretId}`);
  const stages = meta.VersionIdsToStages?.[event.ClientRequestToken];
  if (!stages)
    throw new RotationRequestError(`version ${event.ClientRequestToken} is not a version of ${event.SecretId}`);
  if (stages.includes('AWSCURRENT')) {
    deps.logger.info(`${event.Step}: version is already AWSCURRENT; nothing to do`);
    return;
  }
  if (!stages.includes('AWSPENDING'))
    throw new RotationRequestError(`version ${event.ClientRequestToken} is not AWSPENDING`);
  await STEP_FUNCTIONS[event.Step](event, deps);
}
