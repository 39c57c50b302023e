/**
 * The canary: from a region outside the primary, every interval for one minute, probe what users
 * reach of the primary, a control target in the canary's own region (is my own network fine?)
 * and a beacon in the primary's region that the platform does not own (is the region there?),
 * all three at once, and write each result, timestamped and classified by layer, to the shared
 * evidence store at once. It decides nothing: the orchestrator's gate weighs every canary's
 * evidence together.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { PROBE_TARGET_KINDS, ProbeRecord, ProbeTargetKind } from '../orchestrator/gate';
import type { Clock } from '../orchestrator/clock';
import type { EvidenceStore } from '../orchestrator/store';
import { LOOP_WINDOW_SECONDS } from '../facts/timing';
import type { ProbeObservation } from './probe';

export interface CanaryConfig {
  /** This canary's region: its vote. */
  readonly vantage: string;
  /** The region probed (the primary's): the evidence key the orchestrator reads. */
  readonly target: string;
  readonly intervalMs: number;
}

export interface CanaryDeps {
  readonly config: CanaryConfig;
  /** One probe of each target: the primary, the control and the beacon. */
  readonly probes: Readonly<Record<ProbeTargetKind, () => Promise<ProbeObservation>>>;
  readonly store: Pick<EvidenceStore, 'recordProbe'>;
  readonly clock: Clock;
  readonly metrics: Pick<Metrics, 'addMetric'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export async function runCanary(deps: CanaryDeps): Promise<ProbeRecord[]> {
  const { config, clock, logger, metrics } = deps;
  const start = clock.now();
  const records: ProbeRecord[] = [];
  for (let n = 0; ; n++) {
    const startedAt = clock.now();
    const seen = await Promise.all(PROBE_TARGET_KINDS.map((target) => deps.probes[target]()));
    for (const [i, target] of PROBE_TARGET_KINDS.entries()) {
      const { layer, detail, latencyMs } = seen[i];
      const record: ProbeRecord = { vantage: config.vantage, target, startedAt, layer, detail };
      records.push(record);
      try {
        await deps.store.recordProbe(config.target, record);
      } catch (e) {
        // A probe that is not recorded is a gap in the evidence: the gate stays shut, it never opens.
        metrics.addMetric('ProbeNotRecorded', MetricUnit.Count, 1);
        logger.error('probe not recorded', { record, error: e instanceof Error ? e.message : String(e) });
      }
      if (layer === 'tls' || layer === 'inconclusive') {
        metrics.addMetric('ProbeInconclusive', MetricUnit.Count, 1);
        logger.warn('probe inconclusive: check the canary configuration', { record, latencyMs });
      } else {
        if (layer !== 'up')
          metrics.addMetric(target === 'primary' ? 'ProbeFailed' : `${capital(target)}Failed`, MetricUnit.Count, 1);
        logger.info('probe', { record, latencyMs });
      }
    }
    const next = start + (n + 1) * config.intervalMs;
    if (next - start >= LOOP_WINDOW_SECONDS * 1000) break;
    await clock.sleep(Math.max(0, next - clock.now()));
  }
  return records;
}

const capital = (s: string) => s[0].toUpperCase() + s.slice(1);
