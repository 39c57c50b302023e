/**
 * Configuration: raw Pulumi config (strings, as the CLI hands them over) in, one typed and
 * frozen Settings object out. Every problem is reported at once, naming the key, the bad value
 * and what is allowed, and nothing is registered before this has passed.
 */
import { closestKey } from './closest-key';
import { ConfigError } from './config-error';
import { CONFIG_KEYS, ConfigValues, configSchema } from './config-schema';
import { CROSS_CHECKS } from './cross-checks';

export type RawConfig = Record<string, string | undefined>;

export type RegionRole = 'primary' | 'secondary';

export interface RegionSettings {
  readonly role: RegionRole;
  readonly region: string;
  readonly vpcCidr: string;
  readonly certificateArn?: string;
}

export type Settings = Readonly<
  Omit<ConfigValues, 'allowedIngressCidrs' | 'keyAdminRoleArns' | 'clientKeyAdminRoleArns'>
> & {
  readonly allowedIngressCidrs: readonly string[];
  readonly keyAdminRoleArns: readonly string[];
  readonly clientKeyAdminRoleArns: readonly string[];
  readonly regions: readonly [RegionSettings, RegionSettings];
};

function show(value: string | undefined): string {
  return value === undefined || value.trim() === '' ? 'not set' : `got ${JSON.stringify(value)}`;
}

/** Parse and validate raw config; throws ConfigError listing every problem. */
export function parseSettings(raw: RawConfig): Settings {
  const problems: string[] = Object.keys(raw)
    .filter((k) => !(CONFIG_KEYS as string[]).includes(k))
    .map((k) => {
      const near = closestKey(k);
      return `${k}: is not a configuration key of this program${near ? `; did you mean ${near}?` : ''}`;
    });
  const result = configSchema.safeParse(raw);
  const invalid = new Set<string>();
  for (const issue of result.error?.issues ?? []) {
    const key = String(issue.path[0] ?? '(config)');
    invalid.add(key);
    const message = issue.code === 'invalid_type' && raw[key] === undefined ? 'is required' : issue.message;
    const where = issue.path.length > 1 ? `${key}[${issue.path.slice(1).join('.')}]` : key;
    problems.push(`${where}: ${message} (${show(raw[key])})`);
  }
  // Cross-key rules read each key parsed on its own, so they run even when others are bad.
  const parsedKey = (key: keyof ConfigValues) => configSchema.shape[key].safeParse(raw[key]);
  for (const { keys, check } of CROSS_CHECKS) {
    if (keys.some((k) => invalid.has(k))) continue;
    const values = Object.fromEntries(keys.map((k) => [k, parsedKey(k).data])) as ConfigValues;
    for (const [key, message] of check(values)) problems.push(`${key}: ${message} (${show(raw[key])})`);
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const s = result.data;
  const settings: Settings = {
    ...s,
    regions: [
      { role: 'primary', region: s.primaryRegion, vpcCidr: s.primaryVpcCidr, certificateArn: s.primaryCertificateArn },
      {
        role: 'secondary',
        region: s.secondaryRegion,
        vpcCidr: s.secondaryVpcCidr,
        certificateArn: s.secondaryCertificateArn,
      },
    ],
  };
  return deepFreeze(settings);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/**
 * Read this project's keys from Pulumi config. `allConfig` is `pulumi.runtime.allConfig()`:
 * keys are `<project>:<key>`, so a misspelt key in a stack file is reported, not ignored.
 */
export function readRawConfig(project: string, allConfig: Record<string, string>): RawConfig {
  const prefix = `${project}:`;
  const raw: RawConfig = {};
  for (const [key, value] of Object.entries(allConfig)) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  return raw;
}
