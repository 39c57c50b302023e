/**
 * The configuration's public API: the schema of the Pulumi config keys (config-schema.ts), the
 * rules across keys (cross-checks.ts, rto-problems.ts) and parsing into Settings (settings.ts).
 */
export * from './config-schema';
export * from './settings';
export { ConfigError } from './config-error';
export { closestKey, editDistance } from './closest-key';
export { rtoInputsFromSettings } from './rto-problems';
