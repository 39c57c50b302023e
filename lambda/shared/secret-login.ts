/**
 * Reading database credentials from Secrets Manager and logging in with whichever version the
 * database accepts. Used by the rotation function and the deploy-time schema function, which
 * both log in as master while a rotation of the master may be half done.
 */
import {
  GetSecretValueCommand,
  paginateListSecretVersionIds,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import type { Client } from 'pg';
import { Credentials, parseCredentials } from './credentials';
import { classifyDbError, ConnectionTarget } from './postgres';

/** Throttling and transient faults are retried by the SDK (exponential backoff with jitter). */
export const SDK_RETRY = { maxAttempts: 5, retryMode: 'standard' } as const;

export function secretsClient(config: SecretsManagerClientConfig = {}): SecretsManagerClient {
  return new SecretsManagerClient({ ...SDK_RETRY, ...config });
}

export function connectionTarget(c: Credentials): ConnectionTarget {
  return { host: c.host, port: c.port, database: c.dbname, user: c.username, password: c.password };
}

export async function readCredentials(
  secrets: SecretsManagerClient,
  secretId: string,
  stage?: string,
  versionId?: string,
): Promise<Credentials> {
  const out = await secrets.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }),
  );
  return parseCredentials(out.SecretString);
}

/** Like readCredentials, but a version that does not exist (or holds no value yet) is undefined. */
export async function readCredentialsIfAny(
  secrets: SecretsManagerClient,
  secretId: string,
  stage?: string,
  versionId?: string,
): Promise<Credentials | undefined> {
  try {
    return await readCredentials(secrets, secretId, stage, versionId);
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}

/** A version of a secret to try, named for logs (never its value). */
export interface LoginCandidate {
  readonly source: string;
  readonly credentials: Credentials;
}

export interface LoginDeps {
  readonly connect: (credentials: Credentials) => Promise<Client>;
}

/**
 * Log in with the first candidate the database accepts. A refused password moves on to the
 * next candidate; any other failure (unreachable, TLS) is thrown at once, since no other
 * password would get further.
 */
export async function loginWithFirstAccepted(
  deps: LoginDeps,
  candidates: readonly LoginCandidate[],
): Promise<{ session: Client; used: LoginCandidate }> {
  const refused: string[] = [];
  let last: unknown;
  for (const candidate of candidates) {
    try {
      return { session: await deps.connect(candidate.credentials), used: candidate };
    } catch (e) {
      if (classifyDbError(e) !== 'auth') throw e;
      refused.push(candidate.source);
      last = e;
    }
  }
  const reason = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`the database accepts none of ${refused.join(', ') || 'no candidates'}${reason}`);
}

/**
 * The master's AWSCURRENT, then its AWSPENDING: while the master's own rotation is between
 * setSecret and finishSecret the database already has the pending password.
 */
export async function masterCandidates(secrets: SecretsManagerClient, masterArn: string): Promise<LoginCandidate[]> {
  const current = await readCredentials(secrets, masterArn, 'AWSCURRENT');
  const pending = await readCredentialsIfAny(secrets, masterArn, 'AWSPENDING');
  const candidates = [{ source: 'master AWSCURRENT', credentials: current }];
  if (pending && pending.password !== current.password)
    candidates.push({ source: 'master AWSPENDING', credentials: pending });
  return candidates;
}

/** Versions carrying no staging label, newest first (a rotation abandoned after setSecret leaves one). */
export async function unlabelledVersionIds(
  secrets: SecretsManagerClient,
  secretId: string,
  limit: number,
): Promise<string[]> {
  const versions: { id: string; created: number }[] = [];
  for await (const page of paginateListSecretVersionIds(
    { client: secrets },
    { SecretId: secretId, IncludeDeprecated: true },
  )) {
    for (const v of page.Versions ?? []) {
      if (v.VersionId && (v.VersionStages ?? []).length === 0)
        versions.push({ id: v.VersionId, created: v.CreatedDate?.getTime() ?? 0 });
    }
  }
  return versions
    .sort((a, b) => b.created - a.created)
    .slice(0, limit)
    .map((v) => v.id);
}
