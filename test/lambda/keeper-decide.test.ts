/**
 * The keeper's decision (lambda/keeper/decide.ts), as properties over every view: it goes regional
 * only from its own cross-region writer after the peer was lost for the whole window, touches
 * only a writer it made regional (one carrying a lease), returns to cross-region as soon as the
 * peer answers, and gives the arbiter back once the writer is not its own any more.
 */
import fc from 'fast-check';
import {
  ARBITER_SKEW_MARGIN_MS,
  KEEPER_INTERVAL_MS,
  PEER_LOST_AFTER_MS,
  REGIONAL_LEASE_MS,
} from '../../lambda/facts/keeper';
import { decideKeeper, type KeeperView } from '../../lambda/keeper/decide';
import { DEFAULT_BOOK_BOUNDS } from '../../lambda/shared/order-book';

const US = 'us-east-1';
const NOW = 1_800_000_000_000;

const view = fc.record({
  region: fc.constant(US),
  now: fc.constant(NOW),
  writer: fc.option(
    fc.record(
      {
        region: fc.constantFrom(US, 'eu-west-1'),
        epoch: fc.integer({ min: 1, max: 9 }),
        durability: fc.constantFrom('cross-region' as const, 'regional' as const),
        regionalUntil: fc.integer({ min: NOW - 60_000, max: NOW + 60_000 }),
      },
      { requiredKeys: ['region', 'epoch', 'durability'] },
    ),
    { nil: undefined },
  ),
  peerLostSince: fc.option(fc.integer({ min: NOW - 60_000, max: NOW }), { nil: undefined }),
  holding: fc.boolean(),
}) as fc.Arbitrary<KeeperView>;

const keepers = (v: KeeperView) =>
  v.writer?.region === US && v.writer.durability === 'regional' && v.writer.regionalUntil !== undefined;

describe('decideKeeper', () => {
  it('goes regional only from its own cross-region writer, the peer lost for the whole window', () => {
    fc.assert(
      fc.property(view, (v) => {
        const goes = decideKeeper(v).kind === 'go-regional';
        const should =
          v.writer?.region === US &&
          v.writer.durability === 'cross-region' &&
          !v.holding &&
          v.peerLostSince !== undefined &&
          v.now - v.peerLostSince >= PEER_LOST_AFTER_MS;
        expect(goes).toBe(should);
      }),
    );
  });

  it('renews or restores only a writer it made regional (one with a lease), restoring once the peer answers', () => {
    fc.assert(
      fc.property(view, (v) => {
        const { kind } = decideKeeper(v);
        if (kind === 'renew' || kind === 'restore') expect(keepers(v)).toBe(true);
        if (keepers(v)) expect(kind).toBe(v.peerLostSince === undefined ? 'restore' : 'renew');
      }),
    );
  });

  it('releases the arbiter it holds once the writer is not its own regional one, and never acts on an unread writer', () => {
    fc.assert(
      fc.property(view, (v) => {
        const { kind } = decideKeeper(v);
        expect(kind === 'release').toBe(v.writer !== undefined && v.holding && !keepers(v));
        if (v.writer === undefined) expect(kind).toBe('none');
      }),
    );
  });

  it('the peer lost for one look less than the window: not yet', () => {
    const writer = { region: US, epoch: 3, durability: 'cross-region' as const };
    const at = (lostMs: number) =>
      decideKeeper({ region: US, now: NOW, writer, peerLostSince: NOW - lostMs, holding: false }).kind;
    expect(at(PEER_LOST_AFTER_MS - 1)).toBe('none');
    expect(at(PEER_LOST_AFTER_MS)).toBe('go-regional');
  });
});

describe('the lease arithmetic (lambda/facts/keeper.ts)', () => {
  it('the skew margin covers an acknowledging write sent just before the lease ends (its bound) plus a second of clock skew', () => {
    expect(ARBITER_SKEW_MARGIN_MS).toBeGreaterThanOrEqual(DEFAULT_BOOK_BOUNDS.localWriteMs + 1_000);
  });

  it('a lease survives at least two missed renewals, and a lost peer is seen over at least three looks', () => {
    expect(REGIONAL_LEASE_MS).toBeGreaterThanOrEqual(3 * KEEPER_INTERVAL_MS);
    expect(PEER_LOST_AFTER_MS).toBeGreaterThanOrEqual(3 * KEEPER_INTERVAL_MS);
  });
});

describe('decideKeeper: each decision with the reason it logs', () => {
  const cross = { region: US, epoch: 3, durability: 'cross-region' as const };
  const leased = { region: US, epoch: 4, durability: 'regional' as const, regionalUntil: NOW + 20_000 };
  const at = (over: Partial<KeeperView>): KeeperView => ({
    region: US,
    now: NOW,
    writer: cross,
    peerLostSince: undefined,
    holding: false,
    ...over,
  });
  it.each<[string, Partial<KeeperView>, { kind: string; reason: string }]>([
    [
      'own replica unread',
      { writer: undefined },
      { kind: 'none', reason: "us-east-1's replica did not answer: nothing to decide" },
    ],
    [
      'writer moved away while holding',
      { writer: { region: 'eu-west-1', epoch: 5, durability: 'regional' }, holding: true },
      { kind: 'release', reason: "the writer is eu-west-1 epoch 5 regional: not the keeper's any more" },
    ],
    [
      'writer elsewhere',
      { writer: { region: 'eu-west-1', epoch: 5, durability: 'cross-region' } },
      { kind: 'none', reason: 'eu-west-1 writes the book' },
    ],
    [
      'regional without a lease',
      { writer: { region: US, epoch: 5, durability: 'regional' } },
      { kind: 'none', reason: 'regional by configuration or a takeover' },
    ],
    ['peer answers', {}, { kind: 'none', reason: 'the peer replica answers' }],
    [
      'peer lost, not long enough',
      { peerLostSince: NOW - 1_000 },
      { kind: 'none', reason: 'the peer replica has not answered for 1000 ms' },
    ],
    [
      'peer lost for the window',
      { peerLostSince: NOW - PEER_LOST_AFTER_MS },
      {
        kind: 'go-regional',
        reason: `the peer replica has not answered for ${PEER_LOST_AFTER_MS} ms: regional under the arbiter's lease`,
      },
    ],
    [
      'leased, peer back',
      { writer: leased, holding: true },
      { kind: 'restore', reason: 'the peer replica answers again: back to cross-region' },
    ],
    [
      'leased, peer still lost',
      { writer: leased, holding: true, peerLostSince: NOW - 60_000 },
      { kind: 'renew', reason: 'the peer replica is still lost' },
    ],
  ])('%s', (_, over, expected) => {
    expect(decideKeeper(at(over))).toMatchObject(expected);
  });
});
