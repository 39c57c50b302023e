/**
 * What a scenario measured, from the clients' acknowledgements and the final writer's table,
 * and whether it met its expectation. Definitions (the README repeats them):
 * - lost: acknowledged as committed (201, or 200 for a replay) but not in the final writer;
 * - stranded: accepted into a queue (202) but never applied to the final writer;
 * - duplicates: client order ids executed more than once: two order ids acknowledged for it,
 *   or a final row whose id differs from the one the client was given;
 * - expired: queued (202) market orders the drainer recorded as expired (waited past their
 *   time-to-live): decided and visible to the client, not executed;
 * - first accepted / committed: seconds from the first fault to the first acknowledgement
 *   (any 2xx) / the first committed one (201/200) received after it, worst client;
 * - longest gap: the longest stretch without any acknowledgement, worst client, run edges
 *   included.
 */
import type { Acknowledgement, Attempt } from './client';
import type { PromotionRecord, RejoinRecord } from './database';
import type { AppRegion } from './network';
import type { Decision, RotationOutcome } from './run';
import type { Expectation, Scenario } from './scenarios';
import type { DrillSettings } from './settings';

export interface ClientMetrics {
  readonly client: string;
  readonly sent: number;
  readonly acknowledged: number;
  readonly queued: number;
  readonly firstAcceptedSeconds: number | null;
  readonly firstCommittedSeconds: number | null;
  readonly longestGapSeconds: number;
}

export interface Metrics {
  readonly promotions: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly stranded: number;
  readonly expired: number;
  /** Worst client; null when no acknowledgement came after the fault. */
  readonly firstAcceptedSeconds: number | null;
  readonly firstCommittedSeconds: number | null;
  readonly longestGapSeconds: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly metrics: Metrics;
  readonly expectation: Expectation;
  /** Each unmet expectation, in words; empty when the scenario passed. */
  readonly failures: string[];
  readonly passed: boolean;
  readonly detail: {
    readonly clients: ClientMetrics[];
    readonly lostIds: string[];
    readonly strandedIds: string[];
    readonly duplicateIds: string[];
    readonly promotions: { atSeconds: number; kind: string; from: AppRegion; to: AppRegion }[];
    readonly rejoins: { atSeconds: number; region: AppRegion; snapshotOnly: number }[];
    readonly decisions: { atSeconds: number; trigger: string; action: string; reason: string }[];
    readonly rotations: RotationOutcome[];
    readonly queues: { region: AppRegion; waiting: number; deadLettered: number }[];
    readonly drainerCrashes: number;
    readonly processCrashes: { atSeconds: number; error: string }[];
    readonly awsCalls: Record<string, number>;
    readonly harnessErrors: string[];
    readonly simulatedSeconds: number;
    readonly wallSeconds: number;
  };
}

export interface MeasureInput {
  readonly scenario: Scenario;
  readonly settings: DrillSettings;
  readonly epoch: number;
  readonly end: number;
  readonly acks: { client: string; acks: readonly Acknowledgement[]; attempts: readonly Attempt[] }[];
  readonly rows: readonly { client_order_id: string; id: string; status?: string }[];
  readonly promotions: readonly PromotionRecord[];
  readonly rejoins: readonly RejoinRecord[];
  readonly decisions: readonly Decision[];
  readonly rotations: readonly RotationOutcome[];
  readonly queues: { region: AppRegion; waiting: number; deadLettered: number }[];
  readonly drainerCrashes: readonly number[];
  /** Worst-case seconds from a dead primary to the promotion call, for the configured gate. */
  readonly gateSeconds: number;
  readonly harnessErrors: string[];
  /** Unhandled errors that would have killed the process running the code. */
  readonly crashes: readonly { at: number; error: string }[];
  /** Every AWS API call the code made, by command (the fakes' log). */
  readonly awsCalls: Record<string, number>;
  readonly wallMs: number;
}

const ACCEPTED = new Set([200, 201, 202]);
const COMMITTED = new Set([200, 201]);
const round = (seconds: number) => Math.round(seconds * 10) / 10;

function clientMetrics(
  client: string,
  acks: readonly Acknowledgement[],
  attempts: readonly Attempt[],
  faultAt: number,
  epoch: number,
  end: number,
): ClientMetrics {
  const accepted = acks.filter((a) => ACCEPTED.has(a.status));
  const after = (set: Set<number>) => {
    const first = accepted.find((a) => a.at >= faultAt && set.has(a.status));
    return first ? round((first.at - faultAt) / 1000) : null;
  };
  const times = [epoch, ...accepted.map((a) => a.at), end];
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return {
    client,
    sent: attempts.length,
    acknowledged: accepted.length,
    queued: accepted.filter((a) => a.status === 202).length,
    firstAcceptedSeconds: after(ACCEPTED),
    firstCommittedSeconds: after(COMMITTED),
    longestGapSeconds: round(gap / 1000),
  };
}

export function measure(input: MeasureInput): ScenarioResult {
  const { scenario, epoch } = input;
  const faultAt = epoch + scenario.faultAtSeconds * 1000;
  const final = new Map<string, string[]>();
  for (const row of input.rows) final.set(row.client_order_id, [...(final.get(row.client_order_id) ?? []), row.id]);
  const allAcks = input.acks.flatMap((c) => c.acks).filter((a) => ACCEPTED.has(a.status));
  const lostIds = allAcks
    .filter((a) => COMMITTED.has(a.status) && !final.has(a.clientOrderId))
    .map((a) => a.clientOrderId);
  const strandedIds = allAcks
    .filter((a) => a.status === 202 && !final.has(a.clientOrderId))
    .map((a) => a.clientOrderId);
  const executions = new Map<string, Set<string>>();
  for (const a of allAcks) {
    if (!COMMITTED.has(a.status) || !a.orderId) continue;
    executions.set(a.clientOrderId, new Set([...(executions.get(a.clientOrderId) ?? []), a.orderId]));
  }
  for (const [id, rowIds] of final) {
    const acked = executions.get(id);
    if (acked || rowIds.length > 1) executions.set(id, new Set([...(acked ?? []), ...rowIds]));
  }
  const duplicateIds = [...executions].filter(([, ids]) => ids.size > 1).map(([id]) => id);
  const expiredRows = new Set(input.rows.filter((r) => r.status === 'expired').map((r) => r.client_order_id));
  const expiredIds = allAcks
    .filter((a) => a.status === 202 && expiredRows.has(a.clientOrderId))
    .map((a) => a.clientOrderId);
  const clients = input.acks.map((c) => clientMetrics(c.client, c.acks, c.attempts, faultAt, epoch, input.end));
  const worst = (pick: (c: ClientMetrics) => number | null): number | null => {
    const values = clients.map(pick);
    return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
  };
  const metrics: Metrics = {
    promotions: input.promotions.length,
    lost: lostIds.length,
    duplicates: duplicateIds.length,
    stranded: strandedIds.length,
    expired: expiredIds.length,
    firstAcceptedSeconds: worst((c) => c.firstAcceptedSeconds),
    firstCommittedSeconds: worst((c) => c.firstCommittedSeconds),
    longestGapSeconds: Math.max(...clients.map((c) => c.longestGapSeconds)),
  };
  const refused = input.acks.flatMap((c) => c.acks).filter((a) => !ACCEPTED.has(a.status));
  const failures = check(scenario.expect, metrics, input);
  // A well-formed, signed order is never refused: a 4xx is a bug in the API or the drill's client.
  if (refused.length > 0)
    failures.unshift(`${refused.length} order(s) refused with ${[...new Set(refused.map((a) => a.status))].join('/')}`);
  const seconds = (at: number) => round((at - epoch) / 1000);
  return {
    name: scenario.name,
    title: scenario.title,
    metrics,
    expectation: scenario.expect,
    failures,
    passed: failures.length === 0,
    detail: {
      clients,
      lostIds,
      strandedIds,
      duplicateIds,
      promotions: input.promotions.map((p) => ({ atSeconds: seconds(p.at), kind: p.kind, from: p.from, to: p.to })),
      rejoins: input.rejoins.map((r) => ({
        atSeconds: seconds(r.at),
        region: r.region,
        snapshotOnly: r.snapshotOnly.length,
      })),
      decisions: input.decisions
        .filter((d) => d.action !== 'none' || /fail|error|refus|unknown/i.test(d.reason))
        .map((d) => ({ atSeconds: seconds(d.at), trigger: d.trigger, action: d.action, reason: d.reason })),
      rotations: [...input.rotations],
      queues: input.queues,
      drainerCrashes: input.drainerCrashes.length,
      processCrashes: input.crashes.map((c) => ({ atSeconds: seconds(c.at), error: c.error })),
      awsCalls: input.awsCalls,
      harnessErrors: input.harnessErrors,
      simulatedSeconds: round((input.end - epoch) / 1000),
      wallSeconds: round(input.wallMs / 1000),
    },
  };
}

/** Every way the metrics miss the expectation, in words. */
function check(expect: Expectation, m: Metrics, input: MeasureInput): string[] {
  const failures: string[] = [];
  const rto = input.settings.rtoTargetSeconds;
  if (input.harnessErrors.length > 0) failures.push(`harness error: ${input.harnessErrors[0].split('\n')[0]}`);
  if (input.crashes.length > 0)
    failures.push(
      `${input.crashes.length} process crash(es): unhandled pg client 'error' (${input.crashes[0].error}) at ${Math.round((input.crashes[0].at - input.epoch) / 1000)} s`,
    );
  if (m.promotions !== expect.promotions)
    failures.push(`promotions: expected ${expect.promotions}, got ${m.promotions}`);
  if (m.lost > 0) failures.push(`${m.lost} acknowledged order(s) lost`);
  if (m.duplicates > 0) failures.push(`${m.duplicates} order(s) executed twice`);
  if (m.stranded > 0) failures.push(`${m.stranded} accepted order(s) stranded`);
  const refusal = expect.refusesOrdersForSeconds ?? 0;
  const gapBound = rto + refusal;
  const bound = refusal > 0 ? `RTO target ${rto} s + ${refusal} s refused by design` : `RTO target ${rto} s`;
  if (m.longestGapSeconds > gapBound) failures.push(`longest gap ${m.longestGapSeconds} s > ${bound}`);
  if (m.firstAcceptedSeconds === null || m.firstAcceptedSeconds > gapBound)
    failures.push(`first accepted order ${m.firstAcceptedSeconds ?? 'never'} s after the fault > ${bound}`);
  const committedBound = expect.firstCommittedWithinSeconds(input);
  if (m.firstCommittedSeconds === null || m.firstCommittedSeconds > committedBound)
    failures.push(
      `first committed order ${m.firstCommittedSeconds ?? 'never'} s after the fault > ${committedBound} s bound`,
    );
  for (const extra of expect.also ?? []) {
    const problem = extra(input);
    if (problem) failures.push(problem);
  }
  return failures;
}
