/**
 * Deploy-time schema migration, logged in as master. Idempotent (run it on every deploy),
 * serialised by an advisory lock, versioned with checksums, all in one transaction: either the
 * whole baseline and every pending migration is applied, or nothing is. It also sets up the
 * least-privilege layout (see roles.ts) and refuses a read-only database loudly: a standby is
 * never "migrated" by skipping.
 */
import { createHash } from 'crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Client } from 'pg';
import { LoginDeps, loginWithFirstAccepted, masterCandidates } from '../shared/secret-login';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Migration, MIGRATIONS } from './migrations';
import { APP_ROLE, applyRoleBaseline, OWNER_ROLE, SCHEMA } from './roles';

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

export interface SchemaResult {
  /** Highest migration version applied in the database. */
  readonly version: number;
  /** Versions applied by this run (empty when the database was up to date). */
  readonly applied: number[];
}

export const checksum = (m: Migration) => createHash('sha256').update(m.sql).digest('hex');

/** Versions must be 1, 2, 3, ... with no gap or repeat. */
export function validateMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new SchemaError(`migration #${i + 1} has version ${m.version}; versions must be 1, 2, 3, ...`);
  });
}

type Log = Pick<Logger, 'info' | 'warn'>;

/** The schema every migration relies on (after applyRoleBaseline); each statement is idempotent. */
async function applySchemaBaseline(session: Client): Promise<void> {
  const q = (name: string) => session.escapeIdentifier(name);
  const database = (await session.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
  // Master acts as the owner (SET ROLE) to create what the owner owns.
  await session.query(`GRANT ${q(OWNER_ROLE)} TO CURRENT_USER`);
  // The old request-path migration created orders in `public`, owned by the app user. Moving
  // those rows is an operator's decision; silently serving an empty new table would lose them.
  if ((await session.query("SELECT to_regclass('public.orders') AS t")).rows[0].t)
    throw new SchemaError(
      `public.orders exists (created by an earlier release at request time): move it into schema ${SCHEMA} ` +
        `owned by ${OWNER_ROLE} before deploying`,
    );

  await session.query(`CREATE SCHEMA IF NOT EXISTS ${q(SCHEMA)} AUTHORIZATION ${q(OWNER_ROLE)}`);
  const owner = (
    await session.query<{ owner: string }>(
      'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1',
      [SCHEMA],
    )
  ).rows[0].owner;
  if (owner !== OWNER_ROLE) throw new SchemaError(`schema ${SCHEMA} is owned by ${owner}, not ${OWNER_ROLE}`);
  await session.query(`GRANT USAGE ON SCHEMA ${q(SCHEMA)} TO ${q(APP_ROLE)}`);
  // The services write unqualified names; new sessions resolve them in SCHEMA.
  await session.query(`ALTER DATABASE ${q(database)} SET search_path = ${q(SCHEMA)}`);
}

/** Apply the baseline and every pending migration on an open master session. */
export async function migrateSchema(
  session: Client,
  logger: Log,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<SchemaResult> {
  validateMigrations(migrations);
  const state = (
    await session.query<{ recovery: boolean; read_only: string }>(
      "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
    )
  ).rows[0];
  if (state.recovery || state.read_only === 'on')
    throw new SchemaError(
      'the database is read-only (a secondary cluster?): migrations run against the writer, ' +
        'so the master secret must name the global writer endpoint',
    );

  await session.query('BEGIN');
  try {
    await applyRoleBaseline(session);
    await applySchemaBaseline(session);
    await session.query(`SET LOCAL ROLE ${session.escapeIdentifier(OWNER_ROLE)}`);
    await session.query(`SET LOCAL search_path = ${session.escapeIdentifier(SCHEMA)}`);
    await session.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version int PRIMARY KEY,
         checksum text NOT NULL,
         description text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Map(
      (
        await session.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations')
      ).rows.map((r) => [r.version, r.checksum]),
    );
    const applied: number[] = [];
    for (const m of migrations) {
      const recorded = done.get(m.version);
      if (recorded !== undefined) {
        if (recorded !== checksum(m))
          throw new SchemaError(`migration ${m.version} was changed after it was applied; add a new migration instead`);
        continue;
      }
      await session.query(m.sql);
      await session.query('INSERT INTO schema_migrations (version, checksum, description) VALUES ($1, $2, $3)', [
        m.version,
        checksum(m),
        m.description,
      ]);
      applied.push(m.version);
    }
    await session.query('COMMIT');
    const version = Math.max(0, ...done.keys(), ...applied);
    if (version > migrations.length)
      logger.warn('the database has migrations this code does not know (an older release deployed?)', { version });
    logger.info('schema up to date', { version, applied });
    return { version, applied };
  } catch (e) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export interface ApplySchemaDeps extends LoginDeps {
  readonly secrets: SecretsManagerClient;
  readonly logger: Log;
}

/** Log in as master (AWSCURRENT, else AWSPENDING: its rotation may be in flight) and migrate. */
export async function applySchema(deps: ApplySchemaDeps, masterSecretArn: string): Promise<SchemaResult> {
  const { session, used } = await loginWithFirstAccepted(deps, await masterCandidates(deps.secrets, masterSecretArn));
  deps.logger.info('logged in as master', { credential: used.source });
  try {
    return await migrateSchema(session, deps.logger);
  } finally {
    await session.end().catch(() => undefined);
  }
}
