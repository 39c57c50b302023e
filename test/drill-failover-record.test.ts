/**
 * The drill's DNS answer for the failover record (scripts/drill/traffic.ts, Route53.cnameResolver):
 * what the orchestrator in eu-west-1 reads as the fast path's corroboration that does not depend
 * on us-east-1. It must answer from Route 53's checkers (the data plane), cache for the record's
 * TTL, keep answering while us-east-1 is cut off, and fail as Node's resolver fails (ETIMEOUT
 * after its timeout) when eu-west-1 itself is cut from every Route 53 edge.
 */
import { failoverRecordReading } from '../lambda/orchestrator/gate';
import { seededRandom } from '../lib/model/rto-model';
import { type AppRegion, Network, REGIONS, type Vantage } from '../scripts/drill/network';
import type { RegionApp } from '../scripts/drill/region';
import { Simulation } from '../scripts/drill/sim';
import { CHECKER_REGIONS, Route53 } from '../scripts/drill/traffic';

const NAME = 'api.example.com';
const TARGETS: Record<AppRegion, string> = {
  'us-east-1': 'alb-use1-dev-1.us-east-1.elb.amazonaws.com',
  'eu-west-1': 'alb-euw1-dev-1.eu-west-1.elb.amazonaws.com',
};
const TTL_SECONDS = 10;
const TIMEOUT_MS = 2000;

function world() {
  const sim = new Simulation(0);
  const network = new Network();
  // A region's ALB answers /health 200 to every checker that reaches it.
  const app = (region: AppRegion) =>
    ({
      region,
      healthSeenFrom: (from: Vantage) =>
        network.reachable(from, region)
          ? Promise.resolve({ status: 200, headers: {}, body: '' })
          : Promise.reject(new Error(`${region} unreachable from ${from}`)),
    }) as unknown as RegionApp;
  const route53 = new Route53(
    { 'us-east-1': app('us-east-1'), 'eu-west-1': app('eu-west-1') },
    { intervalSeconds: 10, failureThreshold: 2, ttlSeconds: TTL_SECONDS, checkers: 15 },
    sim,
    seededRandom(1),
  );
  const resolve = route53.cnameResolver(sim, network, {
    from: 'eu-west-1',
    name: NAME,
    targets: TARGETS,
    timeoutMs: TIMEOUT_MS,
  });
  /** Cut `region` from every other vantage point (ScenarioWorld.isolate). */
  const isolate = (region: Vantage) => {
    for (const other of new Set<Vantage>([...REGIONS, ...CHECKER_REGIONS]))
      if (other !== region) network.setPartition(region, other, true);
  };
  /** Resolve at simulated time `at`: the answer, or the error's code, and when it came. */
  const lookupAt = async (at: number, name = NAME) => {
    await sim.runUntil(at);
    const outcome = resolve(name).then(
      (answers) => ({ answers, at: sim.now() }),
      (e: NodeJS.ErrnoException) => ({ error: e.code, at: sim.now() }),
    );
    await sim.runUntil(at + 5000);
    return outcome;
  };
  return { sim, network, isolate, lookupAt };
}

it('answers the primary ALB while its checks pass, and the secondary once us-east-1 is cut off (after the cached answer expires)', async () => {
  const w = world();
  expect(await w.lookupAt(30_000)).toEqual({ answers: [TARGETS['us-east-1']], at: 30_000 });
  w.isolate('us-east-1');
  // Still the cached answer within the TTL: the resolver does not ask again.
  expect(await w.lookupAt(30_000 + (TTL_SECONDS - 1) * 1000)).toEqual({
    answers: [TARGETS['us-east-1']],
    at: 39_000,
  });
  // Two failed checks from each checker outside us-east-1 (10 s interval), then a fresh answer.
  const later = await w.lookupAt(80_000);
  expect(later).toEqual({ answers: [TARGETS['eu-west-1']], at: 80_000 });
  // What the gate makes of it: the failover record answers the secondary (a corroboration).
  expect(failoverRecordReading((later as { answers: string[] }).answers, `${TARGETS['eu-west-1']}.`)).toMatchObject({
    kind: 'read',
    answersSecondary: true,
  });
});

it('keeps answering when only the link between eu-west-1 and us-east-1 is cut (other edges answer)', async () => {
  const w = world();
  w.network.setPartition('eu-west-1', 'us-east-1', true);
  expect(await w.lookupAt(30_000)).toEqual({ answers: [TARGETS['us-east-1']], at: 30_000 });
});

it('is unreadable from an eu-west-1 cut from every Route 53 edge: ETIMEOUT after the query timeout', async () => {
  const w = world();
  w.isolate('eu-west-1');
  expect(await w.lookupAt(30_000)).toEqual({ error: 'ETIMEOUT', at: 30_000 + TIMEOUT_MS });
});

it('a name outside the zone is not found', async () => {
  const w = world();
  expect(await w.lookupAt(30_000, 'api.other.example')).toEqual({ error: 'ENOTFOUND', at: 30_000 });
});
