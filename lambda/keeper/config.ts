/** The keeper's settings, read from its environment and refused whole when any is wrong. */
import { awsRegion, EnvError, parseEnv } from '../facts/env';
import { arbiterRegionProblem } from '../facts/keeper';
import { keeperEnvironment } from './environment';

/** The contract's variables and the one Lambda sets: the keeper's region is its own. */
const schema = keeperEnvironment.extend({ AWS_REGION: awsRegion });

export interface KeeperSettings {
  readonly region: string;
  readonly peer: string;
  readonly bookTable: string;
  readonly arbiter: { readonly tableName: string; readonly region: string };
  readonly environment: string;
  readonly metricNamespace?: string;
}

export function keeperConfigFromEnv(env: Record<string, string | undefined>): KeeperSettings {
  const e = parseEnv('keeper', schema, env);
  const problems: string[] = [];
  if (e.PEER_REGION === e.AWS_REGION) problems.push("PEER_REGION must differ from AWS_REGION (the keeper's own)");
  const arbiterProblem = arbiterRegionProblem(e.ARBITER_TABLE_REGION, [e.AWS_REGION, e.PEER_REGION]);
  if (arbiterProblem) problems.push(`ARBITER_TABLE_REGION ${arbiterProblem}`);
  if (problems.length > 0) throw new EnvError('keeper', problems);
  return {
    region: e.AWS_REGION,
    peer: e.PEER_REGION,
    bookTable: e.BOOK_TABLE_NAME,
    arbiter: { tableName: e.ARBITER_TABLE, region: e.ARBITER_TABLE_REGION },
    environment: e.ENVIRONMENT,
    ...(e.METRIC_NAMESPACE ? { metricNamespace: e.METRIC_NAMESPACE } : {}),
  };
}
