/**
 * The pack's configuration: one JSON schema (with defaults) that the pack declares to Pulumi, and
 * the same resolution Pulumi applies to a `--policy-pack-config` file (defaults filled in,
 * required keys enforced, types and ranges checked). `npm run plan` resolves the very file the
 * pack is given, so the plan's verdicts and the pack's cannot disagree on their inputs.
 */
import {
  DATA_PROTECTION_MODES,
  DataProtection,
  LISTENER_PORTS,
  MAX_ROTATION_DAYS,
  MIN_ENGINE_VERSION,
  ROUTE53_REQUEST_INTERVAL_SECONDS,
} from './limits';

export interface PolicyContext {
  readonly environmentSuffix: string;
  /** Ports the ALBs listen on: the only ones open to the world. */
  readonly publicPorts: readonly number[];
  readonly rotationDays: number;
  readonly engineVersion: string;
  readonly route53RequestIntervalSeconds: number;
  /** ephemeral: everything destroyable (dev, pull requests); protected: production data survives a mistake. */
  readonly dataProtection: DataProtection;
}

interface PropertySchema {
  readonly type: 'string' | 'number' | 'integer' | 'array';
  readonly description: string;
  readonly default?: unknown;
  readonly enum?: string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: { readonly type: 'number' };
}

/** Every policy takes the same schema; each reads the keys it needs. */
export const POLICY_CONFIG_SCHEMA = {
  properties: {
    environmentSuffix: {
      type: 'string',
      description: 'The stack environmentSuffix: every physical name ends in it.',
    },
    publicPorts: {
      type: 'array',
      items: { type: 'number' },
      default: [...LISTENER_PORTS],
      description: 'Ports that may be open to 0.0.0.0/0 (the ALB listeners).',
    },
    rotationDays: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_ROTATION_DAYS,
      default: MAX_ROTATION_DAYS,
      description: `Longest allowed interval between secret rotations (at most ${MAX_ROTATION_DAYS} days).`,
    },
    engineVersion: {
      type: 'string',
      default: MIN_ENGINE_VERSION,
      description:
        'The lowest Aurora PostgreSQL version accepted: any later minor, or a later supported major (15, 16), passes.',
    },
    route53RequestIntervalSeconds: {
      type: 'integer',
      minimum: ROUTE53_REQUEST_INTERVAL_SECONDS,
      maximum: ROUTE53_REQUEST_INTERVAL_SECONDS,
      default: ROUTE53_REQUEST_INTERVAL_SECONDS,
      description: 'Required Route 53 health-check request interval (fixed at creation).',
    },
    dataProtection: {
      type: 'string',
      enum: [...DATA_PROTECTION_MODES],
      default: 'ephemeral',
      description: 'ephemeral: nothing retained; protected: deletion protection, final snapshots, recovery windows.',
    },
  } satisfies Record<keyof PolicyContext, PropertySchema>,
  required: ['environmentSuffix'] as string[],
};

export class PolicyConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid policy pack config ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PolicyConfigError';
  }
}

function typeProblem(key: string, value: unknown, spec: PropertySchema): string | undefined {
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return `${key}: must be a string, got ${kind(value)}`;
      if (spec.enum && !spec.enum.includes(value)) return `${key}: must be one of ${spec.enum.join(', ')}`;
      return undefined;
    case 'array':
      return Array.isArray(value) && value.every((v) => typeof v === 'number')
        ? undefined
        : `${key}: must be an array of numbers`;
    default: {
      if (typeof value !== 'number' || (spec.type === 'integer' && !Number.isInteger(value)))
        return `${key}: must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${kind(value)}`;
      if (spec.minimum !== undefined && value < spec.minimum) return `${key}: must be at least ${spec.minimum}`;
      if (spec.maximum !== undefined && value > spec.maximum) return `${key}: must be at most ${spec.maximum}`;
      return undefined;
    }
  }
}

/**
 * The config one policy receives from a `--policy-pack-config` file, as Pulumi resolves it:
 * the policy's entry (an object of properties, optionally with `enforcementLevel`, or just an
 * enforcement level) over the schema's defaults; a missing required key or a bad value is an error.
 */
export function resolvePolicyConfig(file: Record<string, unknown>, policy: string, source: string): PolicyContext {
  const entry = file[policy];
  const given = entry && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
  const properties = POLICY_CONFIG_SCHEMA.properties as Record<string, PropertySchema>;
  const problems: string[] = [];
  const resolved: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(properties)) {
    const value = key in given ? given[key] : spec.default;
    if (value === undefined) {
      if (POLICY_CONFIG_SCHEMA.required.includes(key)) problems.push(`${policy}.${key}: is required`);
      continue;
    }
    const problem = typeProblem(key, value, spec);
    if (problem) problems.push(`${policy}.${problem}`);
    resolved[key] = value;
  }
  for (const key of Object.keys(given))
    if (!(key in properties) && key !== 'enforcementLevel')
      problems.push(`${policy}.${key}: is not a setting of this pack (known: ${Object.keys(properties).join(', ')})`);
  if (problems.length > 0) throw new PolicyConfigError(source, problems);
  return resolved as unknown as PolicyContext;
}
