/**
 * What a scenario measured, from the clients' acknowledgements and the final writer's table,
 * and whether it met its expectation. Definitions (the README repeats them):
 * - the ledger check: the orders table of the final Aurora writer must equal the set of
 *   acknowledged orders, once the writer region's book applier has read its whole stream;
 *   - lost: acknowledged (201, or 200 for a replay) but not in the ledger;
 *   - duplicates: client order ids executed more than once: two order ids acknowledged for it,
 *     or a ledger row whose id differs from the one the client was given;
 *   - unacknowledged: in the ledger although no client was acknowledged for it (the order a
 *     client was still retrying at the end, whose outcome it had not learnt yet, excepted);
 * - first live: seconds from the first fault to the first 201 (a new order acknowledged live)
 *   received after it, worst client (a stale client, one that never heard, excepted);
 * - longest gap: the longest stretch without any acknowledgement, worst client (stale ones
 *   excepted), run edges included.
 */
import type { Acknowledgement, Attempt } from './client';
import type { AppRegion } from './network';
import { orderTimeline } from './order-timeline';
import type { Expectation, MeasureInput } from './scenarios';
import type { Phases } from './phases';
import type { RotationOutcome } from './world';

export interface ClientMetrics {
  readonly client: string;
  readonly sent: number;
  readonly acknowledged: number;
  readonly firstLiveSeconds: number | null;
  readonly longestGapSeconds: number;
}

export interface Metrics {
  readonly promotions: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Ledger rows no client was acknowledged for. */
  readonly unacknowledged: number;
  /** Worst client; null when no order was acknowledged live after the fault. */
  readonly firstLiveSeconds: number | null;
  readonly longestGapSeconds: number;
  /**
   * Seconds from the fault to the orchestrator's first decision that acts or asks (move the
   * writer, promote, hold, await approval, ...); null when it decided nothing.
   */
  readonly decisionSeconds: number | null;
  /** Orders acknowledged live by a region after the book's writer had moved away from it (split brain). */
  readonly fencedAcks: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  /** The run's seed (replay: npm run drill -- --scenario NAME --replay SEED). */
  readonly seed: number;
  readonly phases: Phases;
  readonly metrics: Metrics;
  readonly expectation: Expectation;
  /** The config's refusal, for a scenario the configuration must refuse (config-scenario.ts). */
  readonly configRefusal?: string;
  /** Each unmet expectation, in words; empty when the scenario passed. */
  readonly failures: string[];
  readonly passed: boolean;
  readonly detail: {
    readonly clients: ClientMetrics[];
    readonly lostIds: string[];
    readonly unacknowledgedIds: string[];
    readonly duplicateIds: string[];
    readonly promotions: { atSeconds: number; kind: string; from: AppRegion; to: AppRegion }[];
    readonly promotionStarts: { atSeconds: number; kind: string }[];
    readonly rejoins: { atSeconds: number; region: AppRegion; snapshotOnly: number }[];
    readonly decisions: { atSeconds: number; trigger: string; action: string; reason: string }[];
    readonly writerMoves: { atSeconds: number; region: string; epoch: number; durability: string }[];
    /** Answers per second of the run (acknowledged: 200/201; refused: anything else, or no answer). */
    readonly ordersPerSecond: { second: number; acknowledged: number; refused: number }[];
    /** The first order after the fault without an acknowledgement (an error or a 5xx), seconds from the start. */
    readonly firstFailedSeconds: number | null;
    /** The first live order (201) eu-west-1 acknowledged after the fault, seconds from the start. */
    readonly firstLiveSecondarySeconds: number | null;
    readonly votes: { atSeconds: number; vantage: string; target: string; layer: string }[];
    readonly ledgerBehind: { atSeconds: number; region: AppRegion; behind: number }[];
    readonly rotations: RotationOutcome[];
    readonly processCrashes: { atSeconds: number; error: string }[];
    readonly awsCalls: Record<string, number>;
    readonly harnessErrors: string[];
    readonly simulatedSeconds: number;
    readonly wallSeconds: number;
  };
}

const ACCEPTED = new Set([200, 201]);
/** Orchestrator outcomes that are not a decision: nothing to do, or a failed invocation. */
const PASSIVE = new Set(['none', 'error']);
const LIVE = 201;
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
  const firstLive = accepted.find((a) => a.at >= faultAt && a.status === LIVE);
  const times = [epoch, ...accepted.map((a) => a.at), end];
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return {
    client,
    sent: attempts.length,
    acknowledged: accepted.length,
    firstLiveSeconds: firstLive ? round((firstLive.at - faultAt) / 1000) : null,
    longestGapSeconds: round(gap / 1000),
  };
}

export function measure(input: MeasureInput): ScenarioResult {
  const { scenario, epoch } = input;
  const faultAt = epoch + scenario.faultAtSeconds * 1000;
  const final = new Map<string, string[]>();
  for (const row of input.rows) final.set(row.client_order_id, [...(final.get(row.client_order_id) ?? []), row.id]);
  const allAcks = input.acks.flatMap((c) => c.acks).filter((a) => ACCEPTED.has(a.status));
  const lostIds = allAcks.filter((a) => !final.has(a.clientOrderId)).map((a) => a.clientOrderId);
  const acknowledged = new Set(allAcks.map((a) => a.clientOrderId));
  const pending = new Set(input.acks.map((c) => c.pending).filter((p): p is string => p !== undefined));
  const unacknowledgedIds = [...final.keys()].filter((id) => !acknowledged.has(id) && !pending.has(id));
  const executions = new Map<string, Set<string>>();
  for (const a of allAcks) {
    if (!a.orderId) continue;
    executions.set(a.clientOrderId, new Set([...(executions.get(a.clientOrderId) ?? []), a.orderId]));
  }
  for (const [id, rowIds] of final) {
    const acked = executions.get(id);
    if (acked || rowIds.length > 1) executions.set(id, new Set([...(acked ?? []), ...rowIds]));
  }
  const duplicateIds = [...executions].filter(([, ids]) => ids.size > 1).map(([id]) => id);
  const fencedAcks = acksAfterFence(input);
  const clients = input.acks.map((c) => clientMetrics(c.client, c.acks, c.attempts, faultAt, epoch, input.end));
  // The RTO is the users': a client that never heard the region moved (stale) is not held to it.
  const judged = clients.filter((_, i) => !input.acks[i].stale);
  const worst = (pick: (c: ClientMetrics) => number | null): number | null => {
    const values = judged.map(pick);
    return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
  };
  // When the orchestrator acted: the writer moved, a promotion was called, or (for a decision that
  // changes nothing, such as asking for approval) its invocation ended.
  const decision = Math.min(
    ...[
      input.decisions.find((d) => d.at >= faultAt && !PASSIVE.has(d.action))?.at,
      input.writerMoves.find((m) => m.at >= faultAt)?.at,
      (input.promotionStarts ?? []).find((p) => p.at >= faultAt)?.at,
    ].map((at) => at ?? Infinity),
  );
  const metrics: Metrics = {
    promotions: input.promotions.length + (input.promotionInProgress ? 1 : 0),
    lost: lostIds.length,
    duplicates: duplicateIds.length,
    unacknowledged: unacknowledgedIds.length,
    firstLiveSeconds: worst((c) => c.firstLiveSeconds),
    longestGapSeconds: Math.max(...judged.map((c) => c.longestGapSeconds)),
    decisionSeconds: Number.isFinite(decision) ? round((decision - faultAt) / 1000) : null,
    fencedAcks: fencedAcks.length,
  };
  const refused = input.acks.flatMap((c) => c.acks).filter((a) => !ACCEPTED.has(a.status));
  const failures = check(scenario.expect, metrics, input);
  if (fencedAcks.length > 0)
    failures.unshift(
      `split brain: ${fencedAcks.length} order(s) acknowledged live by a region after the writer moved away from it (first: ${fencedAcks[0]})`,
    );
  // A well-formed, signed order is never refused: a 4xx is a bug in the API or the drill's client.
  if (refused.length > 0)
    failures.unshift(`${refused.length} order(s) refused with ${[...new Set(refused.map((a) => a.status))].join('/')}`);
  const seconds = (at: number) => round((at - epoch) / 1000);
  return {
    name: scenario.name,
    title: scenario.title,
    seed: input.seed,
    phases: input.phases,
    metrics,
    expectation: scenario.expect,
    failures,
    passed: failures.length === 0,
    detail: {
      clients,
      lostIds,
      unacknowledgedIds,
      duplicateIds,
      promotions: input.promotions.map((p) => ({ atSeconds: seconds(p.at), kind: p.kind, from: p.from, to: p.to })),
      promotionStarts: (input.promotionStarts ?? []).map((p) => ({ atSeconds: seconds(p.at), kind: p.kind })),
      rejoins: input.rejoins.map((r) => ({
        atSeconds: seconds(r.at),
        region: r.region,
        snapshotOnly: r.snapshotOnly.length,
      })),
      decisions: input.decisions
        .filter((d) => d.action !== 'none' || /fail|error|refus|unknown/i.test(d.reason))
        .map((d) => ({ atSeconds: seconds(d.at), trigger: d.trigger, action: d.action, reason: d.reason })),
      writerMoves: input.writerMoves.map((m) => ({
        atSeconds: seconds(m.at),
        region: m.region,
        epoch: m.epoch,
        durability: m.durability,
      })),
      ...orderTimeline(input, faultAt),
      votes: input.votes.map((v) => ({
        atSeconds: seconds(v.at),
        vantage: v.vantage,
        target: v.target,
        layer: v.layer,
      })),
      ledgerBehind: input.ledgerBehind.map((l) => ({ atSeconds: seconds(l.at), region: l.region, behind: l.behind })),
      rotations: [...input.rotations],
      processCrashes: input.crashes.map((c) => ({ atSeconds: seconds(c.at), error: c.error })),
      awsCalls: input.awsCalls,
      harnessErrors: input.harnessErrors,
      simulatedSeconds: round((input.end - epoch) / 1000),
      wallSeconds: round(input.wallMs / 1000),
    },
  };
}

/**
 * Live acknowledgements (201) a region gave after the book's writer had moved away from it:
 * each must have been sent before the move (the client sees the answer later); an order first
 * sent after the move and taken by the old writer is split brain.
 */
export function acksAfterFence(input: Pick<MeasureInput, 'acks' | 'writerMoves'>): string[] {
  const found: string[] = [];
  for (const a of input.acks.flatMap((c) => c.acks)) {
    if (a.status !== LIVE) continue;
    // The writer when this attempt's request was sent (the last move before it).
    const sentAt = a.sentAt ?? a.at;
    // Strictly before: a request and a move in the same simulated instant run concurrently (time
    // stands still during real I/O), and the book's conditional write orders them either way.
    const moved = input.writerMoves.filter((m) => m.at < sentAt).at(-1);
    if (moved && moved.region !== a.region) found.push(`${a.clientOrderId} by ${a.region} at ${a.at}`);
  }
  return found;
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
  // The ledger check: the final writer's table equals the acknowledged set.
  if (m.lost > 0) failures.push(`ledger: ${m.lost} acknowledged order(s) missing (lost)`);
  if (m.duplicates > 0) failures.push(`ledger: ${m.duplicates} order(s) executed twice`);
  if (m.unacknowledged > 0) failures.push(`ledger: ${m.unacknowledged} order(s) no client was acknowledged for`);
  const refusal = expect.refusesOrdersForSeconds ?? 0;
  const gapBound = rto + refusal;
  const bound = refusal > 0 ? `RTO target ${rto} s + ${refusal} s refused by design` : `RTO target ${rto} s`;
  if (m.longestGapSeconds > gapBound) failures.push(`longest gap ${m.longestGapSeconds} s > ${bound}`);
  const liveBound = Math.min(gapBound, expect.firstLiveWithinSeconds(input));
  if (m.firstLiveSeconds === null || m.firstLiveSeconds > liveBound)
    failures.push(`first live order ${m.firstLiveSeconds ?? 'never'} s after the fault > ${liveBound} s bound`);
  for (const extra of expect.also ?? []) {
    const problem = extra(input);
    if (problem) failures.push(problem);
  }
  return failures;
}
