/**
 * Secrets Manager rotation for PostgreSQL, the four-step protocol with AWSPENDING/AWSCURRENT
 * labels. Every step may be called again by Secrets Manager, so each one first checks whether
 * its work is already done. Single-user strategy: a user's own password is changed while
 * logged in as itself, or, when the secret names a `masterarn`, by the master user (which also
 * creates the application user the first time).
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Client } from 'pg';
import { Credentials, parseCredentials } from '../shared/credentials';

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type Step = (typeof STEPS)[number];

export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: Step;
}

/** Characters left out of generated passwords: those RDS or connection strings choke on. */
export const EXCLUDED_PASSWORD_CHARACTERS = '/@"\'\\ ';

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

async function getCredentials(
  deps: RotationDeps,
  secretId: string,
  stage: string,
  versionId?: string,
): Promise<Credentials> {
  const out = await deps.secrets.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }),
  );
  return parseCredentials(out.SecretString);
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

async function createSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  // Parsing AWSCURRENT first means a malformed secret fails before anything is written.
  const current = await getCredentials(deps, event.SecretId, 'AWSCURRENT');
  try {
    await getCredentials(deps, event.SecretId, 'AWSPENDING', event.ClientRequestToken);
    deps.logger.info('createSecret: pending version already exists');
    return;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
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

async function setSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const pending = await getCredentials(deps, event.SecretId, 'AWSPENDING', event.ClientRequestToken);
  const current = await getCredentials(deps, event.SecretId, 'AWSCURRENT');
  if (pending.username !== current.username || pending.host !== current.host) {
    throw new Error('pending and current versions name different users or hosts; refusing to rotate');
  }
  if (await canLogin(deps, pending)) {
    deps.logger.info('setSecret: the database already accepts the pending password');
    return;
  }

  let admin: Credentials;
  if (pending.masterarn) {
    const master = await getCredentials(deps, pending.masterarn, 'AWSCURRENT');
    admin = { ...master, host: pending.host, port: pending.port, dbname: pending.dbname };
  } else {
    admin = current;
    if (!(await canLogin(deps, current))) {
      // A previous rotation may have changed the password but not finished: try AWSPREVIOUS
      // if there is one; otherwise the login below reports why AWSCURRENT is refused.
      admin = await getCredentials(deps, event.SecretId, 'AWSPREVIOUS').catch((e) => {
        if (e instanceof ResourceNotFoundException) return current;
        throw e;
      });
    }
  }
  const session = await deps.connect(admin);
  try {
    const user = session.escapeIdentifier(pending.username);
    const password = session.escapeLiteral(pending.password);
    const exists =
      (await session.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [pending.username])).rowCount === 1;
    if (exists) {
      await session.query(`ALTER ROLE ${user} WITH LOGIN PASSWORD ${password}`);
    } else if (pending.masterarn) {
      const db = session.escapeIdentifier(pending.dbname);
      await session.query('BEGIN');
      await session.query(`CREATE ROLE ${user} WITH LOGIN PASSWORD ${password}`);
      await session.query(`GRANT CONNECT ON DATABASE ${db} TO ${user}`);
      await session.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${user}`);
      await session.query(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ${user}`);
      await session.query(
        `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO ${user}`,
      );
      await session.query('COMMIT');
    } else {
      throw new Error(`user ${pending.username} does not exist and the secret has no masterarn to create it`);
    }
  } finally {
    await session.end().catch(() => undefined);
  }
  deps.logger.info('setSecret: password set in the database', { username: pending.username });
}

async function testSecret(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const pending = await getCredentials(deps, event.SecretId, 'AWSPENDING', event.ClientRequestToken);
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
