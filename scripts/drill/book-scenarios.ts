/**
 * The live order book's scenarios (issue 22 item 4): no split brain when the old primary is alive
 * and still offered orders, and a planned switchover and failback with both regions healthy.
 */
import { leaseSeconds, ORCHESTRATOR_TIMEOUT_SECONDS } from '../../lambda/facts/timing';
import { keeperWindowSeconds, primaryKeptTrading } from './keeper-expectations';
import type { Decision, WriterMove } from './world';
import {
  FAULT_AT,
  horizon,
  type MeasureInput,
  quietHorizon,
  regionLost,
  type Scenario,
  SETTLE,
  type Timing,
} from './scenarios';

/** The stale client's attempts sent after the book's writer first moved away from us-east-1. */
const staleAfterMove = (i: MeasureInput) => {
  const moved = i.writerMoves.find((m) => m.region !== 'us-east-1');
  const stale = i.acks.find((c) => c.stale);
  return { moved, stale, after: stale && moved ? stale.attempts.filter((a) => a.at > moved.at) : [] };
};

/**
 * The old primary was offered orders after the writer moved away from it, while cut off and after
 * it was joined again, and refused every one with a 503 (a true "not taken"): none acknowledged
 * (the fenced-acks count holds every live one), none stored.
 */
const oldPrimaryRefusedAll = (joinedAt: number) => (i: MeasureInput) => {
  const { moved, stale, after } = staleAfterMove(i);
  if (!stale) return 'no stale client ran';
  if (!moved) return "the book's writer never moved away from us-east-1";
  const joined = i.epoch + joinedAt * 1000;
  if (!after.some((a) => a.at < joined) || !after.some((a) => a.at > joined))
    return 'the old primary was not offered orders both while cut off and after it was joined again';
  const other = after.filter((a) => a.status !== 503);
  if (other.length > 0)
    return `the old primary answered ${other.length} order(s) after the fence with other than 503: ${[...new Set(other.map((a) => a.status ?? a.error))].join(', ')}`;
  const ids = new Set(after.map((a) => a.clientOrderId));
  const stored = i.rows.filter((r) => ids.has(r.client_order_id));
  return stored.length > 0
    ? `the old primary refused ${stored.length} order(s) that are in the ledger: ${stored[0].client_order_id}`
    : undefined;
};

const movesOf = (i: MeasureInput): readonly WriterMove[] => i.writerMoves;

/** How long eu-west-1 is lost in `secondary-lost`. */
const SECONDARY_LOST_SECONDS = 120;

const operator = (i: MeasureInput, trigger: string): Decision | undefined =>
  i.decisions.find((d) => d.trigger === trigger && d.action !== 'none' && d.action !== 'error');

export function bookScenarios(timing: Timing): Scenario[] {
  const { gateSeconds, promotionSeconds } = timing;
  const isolatedFor = gateSeconds + promotionSeconds + 30;
  // The operator's steps, each once the one before has finished: a switchover or failback keeps
  // the orchestrator's lease (an irreversible call was made), so each step waits for the lease and
  // for Aurora; once Aurora writes in us-east-1 again, the scheduled run (or a last failback
  // request, whichever comes first) moves the book's writer and the traffic dials back.
  const stepSeconds = Math.max(leaseSeconds(ORCHESTRATOR_TIMEOUT_SECONDS), promotionSeconds) + 5;
  const failbackAt = FAULT_AT + stepSeconds;
  const restoreAt = failbackAt + stepSeconds;
  return [
    {
      name: 'old-primary-alive',
      title:
        'us-east-1 is cut off from every other region and vantage point, its processes alive; an instance inside it that never heard keeps sending to it during and after the takeover',
      proves:
        "no split brain: the acknowledging write itself checks the book's writer, so the old primary, alive and offered orders before, during and after the writer moves away from it, acknowledges none (fenced acks 0) and stores none; nothing lost or doubled. The users' clients are live in eu-west-1 within the RTO target, by the gate's fast path: the accelerator still reports the ALB's own target health (healthy) and Route 53's API is in us-east-1, but the failover record's DNS answer (Route 53's data plane, read from eu-west-1) names the secondary once the checkers lose us-east-1",
      faultAtSeconds: FAULT_AT,
      durationSeconds: horizon(timing, 180),
      staleClient: true,
      expect: {
        promotions: 1,
        // The fast path: the failover record's DNS answer corroborates the canaries.
        firstLiveWithinSeconds: regionLost,
        also: [oldPrimaryRefusedAll(FAULT_AT + isolatedFor)],
      },
      faults: (w) => {
        w.at(FAULT_AT, () => w.isolate('us-east-1', true));
        w.at(FAULT_AT + isolatedFor, () => w.isolate('us-east-1', false));
      },
    },
    {
      name: 'secondary-lost',
      title: 'eu-west-1 fails entirely while us-east-1 writes (cross-region durability), and comes back',
      proves:
        "losing the DR region does not stop trading in the healthy primary: its keeper, holding the arbiter's lease in us-west-2, switches the book to regional durability once eu-west-1's replica has failed every read for the window, us-east-1 acknowledges again (no promotion, the writer never leaves it), and once eu-west-1 answers again the writer returns to cross-region durability by itself; nothing lost or doubled",
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing, SECONDARY_LOST_SECONDS),
      expect: {
        promotions: 0,
        firstLiveWithinSeconds: () => keeperWindowSeconds,
        refusesOrdersForSeconds: keeperWindowSeconds,
        also: [primaryKeptTrading(FAULT_AT, FAULT_AT + SECONDARY_LOST_SECONDS)],
      },
      faults: (w) => {
        w.at(FAULT_AT, () => w.regionDown('eu-west-1', true));
        w.at(FAULT_AT + SECONDARY_LOST_SECONDS, () => w.regionDown('eu-west-1', false));
      },
    },
    {
      name: 'planned-failback',
      title:
        'both regions healthy: an operator switches over to eu-west-1 (switchover), then back to us-east-1 (failback)',
      proves:
        "a planned move through the orchestrator's own entry points keeps every order: the book's writer moves each way with cross-region durability, Aurora switches over and back without data loss (2 promotions, both switchovers), trading goes on, nothing lost or doubled",
      faultAtSeconds: FAULT_AT,
      durationSeconds: restoreAt + 30 + SETTLE,
      expect: {
        promotions: 2,
        // Clients on the Route 53 name follow the writer once the fenced primary's health check fails.
        firstLiveWithinSeconds: regionLost,
        also: [
          (i) => (operator(i, 'operator switchover') ? undefined : 'the switchover request changed nothing'),
          (i) => (operator(i, 'operator failback') ? undefined : 'the failback request changed nothing'),
          (i) => {
            // Traffic comes back once Aurora writes in us-east-1 again: the scheduled run restores
            // it after a completed failback, or the operator's request does if it comes first.
            const failback = operator(i, 'operator failback');
            const restored = i.decisions.some(
              (d) => d.action === 'restore-traffic' && failback !== undefined && d.at > failback.at,
            );
            return restored || operator(i, 'operator restore')
              ? undefined
              : 'traffic never came back after the failback (neither the scheduled run nor the restore request moved it)';
          },
          (i) =>
            movesOf(i)
              .map((m) => m.region)
              .join(' -> ') === 'eu-west-1 -> us-east-1'
              ? undefined
              : `the book's writer moved ${
                  movesOf(i)
                    .map((m) => m.region)
                    .join(' -> ') || 'never'
                } (want eu-west-1 -> us-east-1)`,
          (i) => {
            const regional = movesOf(i).filter((m) => m.durability !== 'cross-region');
            return regional.length === 0 ? undefined : `the writer moved with ${regional[0].durability} durability`;
          },
          (i) =>
            i.promotions.every((p) => p.kind === 'switchover') && i.promotions.at(-1)?.to === 'us-east-1'
              ? undefined
              : `Aurora: ${i.promotions.map((p) => `${p.kind} to ${p.to}`).join(', ')} (want switchovers, us-east-1 last)`,
        ],
      },
      faults: (w) => {
        w.at(FAULT_AT, () => w.invokeOrchestrator({ action: 'switchover' }, 'operator switchover'));
        w.at(failbackAt, () => w.invokeOrchestrator({ action: 'failback' }, 'operator failback'));
        w.at(restoreAt, () => w.invokeOrchestrator({ action: 'failback' }, 'operator restore'));
      },
    },
  ];
}
