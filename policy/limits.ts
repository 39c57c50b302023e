/**
 * Limits the policy pack enforces that a stack setting can break. lib/config.ts validates those
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
export const PROTECTED_RECOVERY_WINDOW_DAYS = 30;

/** How a stack treats its data: destroyable (dev, pull requests) or protected (production). */
export const DATA_PROTECTION_MODES = ['ephemeral', 'protected'] as const;
export type DataProtection = (typeof DATA_PROTECTION_MODES)[number];
