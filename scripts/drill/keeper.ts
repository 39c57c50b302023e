/**
 * The primary's keeper in the drill (lambda/keeper, issue 22): the real keeper loop in us-east-1
 * every minute, held to its Lambda timeout like the canaries and the orchestrator, reaching the
 * book's replicas from us-east-1 (the drill's network decides what answers) and the arbiter in
 * us-west-2 through the same network: an isolated us-east-1 cannot take or renew its lease.
 * Its moves of the writer item are on the timeline with the orchestrator's.
 */
import { KEEPER_TIMEOUT_SECONDS } from '../../lambda/facts/keeper';
import { runKeeper } from '../../lambda/keeper/keeper';
import type { Clock } from '../../lambda/orchestrator/clock';
import { type Arbiter, InMemoryArbiter } from '../../lambda/shared/arbiter';
import { bookWriter } from '../../lambda/shared/book-writer';
import type { DrillBook } from './book';
import type { Network, Vantage } from './network';
import type { MemoryLogger, ScenarioWorld } from './world';

/** Where the arbiter table lives (the canaries' and the accelerator API's region). */
const ARBITER_REGION: Vantage = 'us-west-2';

/** The arbiter table as callers in each region reach it: refused when the network cuts them off. */
export class DrillArbiter {
  private readonly table = new InMemoryArbiter();

  constructor(private readonly network: Network) {}

  from(region: Vantage): Arbiter {
    const reach = () => {
      if (!this.network.reachable(region, ARBITER_REGION))
        throw Object.assign(new Error(`connect ECONNREFUSED: dynamodb.${ARBITER_REGION} unreachable from ${region}`), {
          code: 'ECONNREFUSED',
        });
    };
    return {
      take: async (hold, now) => (reach(), this.table.take(hold, now)),
      release: async (holder) => (reach(), this.table.release(holder)),
      read: async () => (reach(), this.table.read()),
    };
  }
}

export interface KeeperSchedule {
  /** A Lambda invocation in `region`: its clock stops at its timeout. */
  readonly invocation: (region: Vantage, timeoutSeconds: number) => { clock: Clock };
  readonly every: (fn: () => void, firstAt: number, intervalMs: number) => void;
  readonly firstAt: number;
  readonly logger: MemoryLogger;
}

/** The keeper's schedule in us-east-1: one invocation a minute while the region is up. */
export function scheduleKeeper(world: ScenarioWorld, book: DrillBook, arbiter: DrillArbiter, s: KeeperSchedule): void {
  const { sim, network } = world;
  const writer = bookWriter(book.view('us-east-1'));
  const recorded: typeof writer = {
    ...writer,
    moveWriter: async (move, options) => {
      const result = await writer.moveWriter(move, options);
      if (result.moved) world.writerMoves.push({ at: sim.now(), ...result.writer });
      return result;
    },
  };
  s.every(
    () =>
      sim.spawn('keeper us-east-1', async () => {
        if (!network.isUp('us-east-1')) return;
        const { clock } = s.invocation('us-east-1', KEEPER_TIMEOUT_SECONDS);
        try {
          const looks = await runKeeper({
            region: 'us-east-1',
            peer: 'eu-west-1',
            book: recorded,
            arbiter: arbiter.from('us-east-1'),
            clock,
            metrics: { addMetric: () => undefined as never },
            logger: s.logger,
          });
          for (const l of looks.filter((x) => x.action.kind !== 'none'))
            world.decisions.push({ at: l.at, trigger: 'keeper', action: l.action.kind, reason: l.result });
        } catch (e) {
          world.decisions.push({ at: sim.now(), trigger: 'keeper', action: 'error', reason: (e as Error).message });
        }
      }),
    s.firstAt,
    60_000,
  );
}
