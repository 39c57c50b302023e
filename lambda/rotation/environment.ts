/**
 * The rotation function's environment: its contract with the component that deploys it
 * (lib/data/database-stack.ts builds it through this schema at plan time) and with its handler
 * (which parses process.env through it once). Pattern: lib/functions/function-environment.ts.
 */
import { z } from 'zod';
import { dbSsl, parseEnv } from '../facts/env';

export const rotationEnvironment = z.object({
  DB_SSL: dbSsl,
});

export type RotationEnvironment = z.output<typeof rotationEnvironment>;

export function parseRotationEnvironment(env: Record<string, string | undefined>): RotationEnvironment {
  return parseEnv('rotation', rotationEnvironment, env);
}
