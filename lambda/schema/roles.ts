/**
 * The database roles of the platform. Shared by the schema function (deploy time, as master)
 * and the rotation function (which creates the application's login user): whichever runs
 * first lays down the roles and revokes PUBLIC's defaults, under one advisory lock, so either
 * order ends in the same state and the login user never exists with PostgreSQL's defaults.
 *
 * - OWNER_ROLE (NOLOGIN) owns the schema and every table; migrations run as it (SET ROLE).
 * - APP_ROLE (NOLOGIN) holds exactly the rights the services use; granted table by table.
 * - the application's login user (named in its secret) has LOGIN and membership in APP_ROLE,
 *   nothing else.
 */
import type { Client } from 'pg';

export const SCHEMA = 'tap';
export const OWNER_ROLE = 'tap_owner';
export const APP_ROLE = 'tap_app';
/** Serialises migrations and role set-up (concurrent CREATE ROLE ends in a unique violation). */
export const ROLE_SETUP_LOCK = 4242_0001;

export class RoleSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleSetupError';
  }
}

async function ensureGroupRole(session: Client, role: string): Promise<void> {
  const exists = (await session.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
  if (!exists) await session.query(`CREATE ROLE ${session.escapeIdentifier(role)} NOLOGIN`);
}

/**
 * Inside a transaction, as master: take the lock, create the group roles, and take away what
 * PostgreSQL 14 gives every role by default (CREATE in `public`, TEMPORARY and CONNECT on the
 * database), giving CONNECT back to APP_ROLE only. Every statement is idempotent.
 */
export async function applyRoleBaseline(session: Client): Promise<void> {
  const q = (name: string) => session.escapeIdentifier(name);
  await session.query('SELECT pg_advisory_xact_lock($1)', [ROLE_SETUP_LOCK]);
  await ensureGroupRole(session, OWNER_ROLE);
  await ensureGroupRole(session, APP_ROLE);
  const database = (await session.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
  await session.query(`REVOKE ALL ON DATABASE ${q(database)} FROM PUBLIC`);
  await session.query(`GRANT CONNECT ON DATABASE ${q(database)} TO ${q(APP_ROLE)}`);
  await session.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  // A REVOKE by a non-owner only warns; make sure it took effect.
  const publicCreate = (
    await session.query<{ granted: boolean }>("SELECT has_schema_privilege($1, 'public', 'CREATE') AS granted", [
      APP_ROLE,
    ])
  ).rows[0].granted;
  if (publicCreate)
    throw new RoleSetupError(
      'REVOKE CREATE ON SCHEMA public FROM PUBLIC had no effect: the master user does not own the public schema',
    );
}
