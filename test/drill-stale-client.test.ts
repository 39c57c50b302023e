/**
 * The old-primary-alive scenario's client that never heard (Scenario.staleClient): it is not held
 * to the RTO (no live order can reach it once the writer has moved), and everything else it sees
 * counts: a live acknowledgement from the old region after the move is split brain.
 */
import type { Acknowledgement } from '../scripts/drill/client';
import { measure } from '../scripts/drill/metrics';
import { FIXED_PHASES } from '../scripts/drill/phases';
import type { MeasureInput, Scenario } from '../scripts/drill/scenarios';
import { drillSettings } from '../scripts/drill/settings';

const scenario: Scenario = {
  name: 'x',
  title: 'x',
  proves: 'x',
  faultAtSeconds: 10,
  durationSeconds: 100,
  staleClient: true,
  expect: { promotions: 0, firstLiveWithinSeconds: () => 30 },
  faults: () => undefined,
};
const ack = (id: string, atSeconds: number, region: 'us-east-1' | 'eu-west-1'): Acknowledgement => ({
  clientOrderId: id,
  status: 201,
  orderId: id,
  region,
  firstSentAt: atSeconds * 1000,
  sentAt: atSeconds * 1000,
  at: atSeconds * 1000,
});
const input = (stale: Acknowledgement[]): MeasureInput => {
  const live = [
    ack('u-1', 5, 'us-east-1'),
    ack('u-2', 20, 'eu-west-1'),
    ...[40, 60, 80, 99].map((s) => ack(`u-${s}`, s, 'eu-west-1')),
  ];
  return {
    scenario,
    settings: drillSettings('dev'),
    epoch: 0,
    end: 100_000,
    acks: [
      { client: 'users', acks: live, attempts: [] },
      { client: 'stale', acks: stale, attempts: [], stale: true },
    ],
    rows: [...live, ...stale].map((a) => ({ client_order_id: a.clientOrderId, id: a.clientOrderId })),
    promotions: [],
    rejoins: [],
    decisions: [],
    writerMoves: [{ at: 15_000, region: 'eu-west-1', epoch: 2, durability: 'cross-region' }],
    rotations: [],
    gateSeconds: 0,
    harnessErrors: [],
    crashes: [],
    awsCalls: {},
    wallMs: 0,
    seed: 1,
    phases: FIXED_PHASES,
    votes: [],
    ledgerBehind: [],
  };
};

it('a stale client without any acknowledgement after the fault does not fail the RTO checks', () => {
  const result = measure(input([ack('s-1', 5, 'us-east-1')]));
  expect(result.failures).toEqual([]);
  expect(result.metrics.firstLiveSeconds).toBe(10);
  expect(result.metrics.longestGapSeconds).toBe(20);
});

it("the same client, not stale, fails them: the exception is the stale flag's alone", () => {
  const base = input([ack('s-1', 5, 'us-east-1')]);
  const result = measure({ ...base, acks: base.acks.map((c) => ({ ...c, stale: false })) });
  expect(result.failures).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^longest gap 95 s/),
      expect.stringMatching(/^first live order never/),
    ]),
  );
});

it("a stale client's live acknowledgement from the old region after the move is a fenced ack (split brain)", () => {
  const result = measure(input([ack('s-1', 5, 'us-east-1'), ack('s-2', 30, 'us-east-1')]));
  expect(result.metrics.fencedAcks).toBe(1);
  expect(result.failures[0]).toMatch(/^split brain: 1 order\(s\) acknowledged live by a region after the writer moved/);
});
