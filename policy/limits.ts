/**
 * Limits the policy pack enforces that a stack setting can break. lib/config/config-schema.ts validates those
 * settings with these very constants, so a config the validator accepts cannot fail the pack on
 * them. They live in policy/ because the published pack (`npm pack` of this folder) must be
 * self-contained; the program imports them from here, never the other way round.
 */

/** Database credentials rotate at least this often (days). */
export const MAX_ROTATION_DAYS = 30;

/** Route 53 health checks use the fast interval: it cannot be changed after creation. */
export const ROUTE53_REQUEST_INTERVAL_SECONDS = 10;

/** The ALB listener ports: the only ports open to the world. */
export const LISTENER_PORTS: readonly number[] = [80, 443];

/** Protected stacks keep deleted secrets and keys recoverable this long (the AWS maximum for both). */
export const PROTECTED_RECOVERY_DAYS = 30;

/** The default and lowest Aurora PostgreSQL version: what the platform was validated with as a global database. */
export const MIN_ENGINE_VERSION = '14.6';

/** Whether `version` is the same major as `minimum` and at least its minor (14.10 >= 14.6). */
export function meetsMinimumVersion(version: unknown, minimum: string = MIN_ENGINE_VERSION): boolean {
  const parse = (v: string) => /^(\d+)\.(\d+)$/.exec(v)?.slice(1).map(Number);
  const have = typeof version === 'string' ? parse(version) : undefined;
  const least = parse(minimum);
  return !!have && !!least && have[0] === least[0] && have[1] >= least[1];
}

/** How a stack treats its data: destroyable (dev, pull requests) or protected (production). */
export const DATA_PROTECTION_MODES = ['ephemeral', 'protected'] as const;
export type DataProtection = (typeof DATA_PROTECTION_MODES)[number];
