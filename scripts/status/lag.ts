/**
 * The lags `npm run status` shows, from CloudWatch (the last 5 minutes, worst minute): Aurora's
 * replication into each member cluster (AuroraGlobalDBReplicationLag, ms; reported by the
 * secondary) and each book applier's IteratorAge (how far the ledger trails the book, ms).
 */
import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export interface LagTarget {
  readonly label: string;
  readonly region: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimension: { readonly name: string; readonly value: string };
}

export interface LagReading {
  readonly label: string;
  readonly region: string;
  /** Worst 1-minute maximum in the window; undefined: no datapoint (idle, or nothing to replicate). */
  readonly worstMs?: number;
  /** The newest minute with a datapoint: when it starts (ms) and its maximum (the game day's ledger watcher). */
  readonly latest?: { readonly at: number; readonly ms: number };
  readonly error?: string;
}

export const LAG_WINDOW_MS = 5 * 60_000;

/** The cluster identifier in an RDS cluster ARN (`arn:aws:rds:<region>:<account>:cluster:<id>`). */
const clusterId = (arn: string) => arn.split(':').pop()!;
const regionOf = (arn: string) => arn.split(':')[3];

export function lagTargets(
  clusterArns: readonly string[],
  applierNames: Readonly<Record<string, string>>,
): LagTarget[] {
  return [
    ...clusterArns.map((arn) => ({
      label: `Aurora replication into ${clusterId(arn)}`,
      region: regionOf(arn),
      namespace: 'AWS/RDS',
      metric: 'AuroraGlobalDBReplicationLag',
      dimension: { name: 'DBClusterIdentifier', value: clusterId(arn) },
    })),
    ...Object.entries(applierNames)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, name]) => ({
        label: `ledger behind the book (${name} IteratorAge)`,
        region,
        namespace: 'AWS/Lambda',
        metric: 'IteratorAge',
        dimension: { name: 'FunctionName', value: name },
      })),
  ];
}

export async function readLags(
  targets: readonly LagTarget[],
  cloudwatch: (region: string) => Pick<CloudWatchClient, 'send'>,
  now: Date,
): Promise<LagReading[]> {
  return Promise.all(
    targets.map(async (t): Promise<LagReading> => {
      try {
        const out = await cloudwatch(t.region).send(
          new GetMetricDataCommand({
            StartTime: new Date(now.getTime() - LAG_WINDOW_MS),
            EndTime: now,
            MetricDataQueries: [
              {
                Id: 'lag',
                MetricStat: {
                  Metric: {
                    Namespace: t.namespace,
                    MetricName: t.metric,
                    Dimensions: [{ Name: t.dimension.name, Value: t.dimension.value }],
                  },
                  Period: 60,
                  Stat: 'Maximum',
                },
              },
            ],
            // Newest first (also the API's default): Values[0] is the latest minute (CloudWatch
            // GetMetricData, ScanBy: "TimestampDescending returns the newest data first").
            ScanBy: 'TimestampDescending',
          }),
        );
        const values = out.MetricDataResults?.[0]?.Values ?? [];
        const newest = out.MetricDataResults?.[0]?.Timestamps?.[0];
        return {
          label: t.label,
          region: t.region,
          ...(values.length > 0 && { worstMs: Math.max(...values) }),
          ...(values.length > 0 && newest && { latest: { at: newest.getTime(), ms: values[0] } }),
        };
      } catch (e) {
        return { label: t.label, region: t.region, error: (e as Error).message };
      }
    }),
  );
}
