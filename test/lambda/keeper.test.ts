/**
 * The primary's keeper (lambda/keeper/keeper.ts) on the two-replica emulator (dynalite replicas,
 * real SDK clients) with the arbiter in memory, on a clock the test drives: eu-west-1's replica
 * lost while us-east-1 writes, us-east-1 goes regional under the lease within the window and its
 * API acknowledges again; the lease is renewed while the peer stays lost; the peer back, the writer
 * returns to cross-region by itself and the arbiter is released. And it never goes regional
 * without the arbiter: held by the orchestrator's takeover, or not reachable.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ARBITER_SKEW_MARGIN_MS,
  KEEPER_INTERVAL_MS,
  PEER_LOST_AFTER_MS,
  REGIONAL_LEASE_MS,
} from '../../lambda/facts/keeper';
import { LOOP_WINDOW_SECONDS } from '../../lambda/facts/timing';
import { keeperConfigFromEnv } from '../../lambda/keeper/config';
import { Keeper, runKeeper, type KeeperDeps, type KeeperLook } from '../../lambda/keeper/keeper';
import type { Clock } from '../../lambda/orchestrator/clock';
import { InMemoryArbiter } from '../../lambda/shared/arbiter';
import { bookWriter, type BookReplicas as Replicas } from '../../lambda/shared/book-writer';
import { OrderBook } from '../../lambda/shared/order-book';
import { BookReplicas } from '../../scripts/local/book-replicas';

const US = 'us-east-1';
const EU = 'eu-west-1';
const S = 1000;

let book: BookReplicas;
const clients: DynamoDBClient[] = [];
let now: number;
const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

const replicasFrom = (from: string): Promise<Replicas> => book.replicasFrom(from, clients, { requestTimeoutMs: 2_000 });

beforeEach(async () => {
  now = Date.now();
  book = await BookReplicas.start({ regions: [US, EU], lagMs: 0 });
  await bookWriter(await replicasFrom(US)).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
  expect(await book.settle()).toBe(true);
});

afterEach(async () => {
  emitted.splice(0);
  for (const c of clients.splice(0)) c.destroy();
  await book.stop();
});

/** Every metric the keepers of a test emitted, in order. */
const emitted: string[] = [];

/** A keeper of us-east-1 looking for `windowMs` (undefined: the default window); `over` replaces a dependency. */
async function keeperDeps(
  arbiter: InMemoryArbiter,
  windowMs: number | undefined,
  over: Partial<KeeperDeps> = {},
): Promise<KeeperDeps> {
  const metrics = emitted;
  return {
    region: US,
    peer: EU,
    book: bookWriter(await replicasFrom(US)),
    arbiter,
    clock,
    metrics: { addMetric: (name: string) => (metrics.push(name), undefined as never) },
    logger: silent,
    ...(windowMs === undefined ? {} : { windowMs }),
    ...over,
  };
}

/** What each look decided and what acting on it gave. */
const did = (looks: readonly KeeperLook[]) => looks.map((l) => [l.action.kind, l.result]);

/** us-east-1 regional under the keeper's lease (eu-west-1's replica down), as the first look that can makes it. */
async function goneRegional(arbiter: InMemoryArbiter): Promise<number> {
  book.replica(EU).down = true;
  await runKeeper(await keeperDeps(arbiter, PEER_LOST_AFTER_MS + 1));
  const writer = (await writerIn(US))!;
  expect(writer).toMatchObject({ region: US, epoch: 2, durability: 'regional' });
  return writer.regionalUntil!;
}

/** Another mover's move of the writer in us-east-1's replica (an operator's planned move, say), as it lands. */
const anotherMove = async (fromEpoch: number, durability: 'cross-region' | 'regional' = 'cross-region') =>
  expect((await bookWriter(await replicasFrom(US)).moveWriter({ to: US, fromEpoch, durability })).moved).toBe(true);

/** The arbiter, with `before` run as each take (or renewal) of the lease is made. */
function onTake(arbiter: InMemoryArbiter, before: () => unknown): InMemoryArbiter {
  const take = arbiter.take.bind(arbiter);
  arbiter.take = async (hold, at) => (await before(), take(hold, at));
  return arbiter;
}

const writerIn = async (region: string) => bookWriter(await replicasFrom(region)).readWriter(region);

async function usApi(): Promise<OrderBook> {
  return new OrderBook({
    replicas: await replicasFrom(US),
    region: US,
    peer: EU,
    signingKey: async () => Buffer.alloc(32, 7),
    bounds: { readWriterMs: 400, peerWriteMs: 400, localWriteMs: 400, marginMs: 50, writerCacheMs: 0 },
    now: () => new Date(now),
  });
}

const order = (clientOrderId: string) => ({
  clientOrderId,
  symbol: 'AAPL',
  side: 'buy' as const,
  type: 'limit' as const,
  quantity: '1',
  limitPrice: '1.5',
});
const accept = async (api: OrderBook, id: string) => api.accept('desk-a', order(id), Date.now() + 1_500);

describe("the keeper: the secondary's replica lost while the primary writes", () => {
  it('goes regional under the lease once the peer was lost for the window, renews it, and returns to cross-region by itself', async () => {
    const arbiter = new InMemoryArbiter();
    const api = await usApi();
    book.replica(EU).down = true;
    expect((await accept(api, 'a-1')).kind).not.toBe('created'); // cross-region: no peer, no acknowledgement

    const start = now;
    const looks = await runKeeper(await keeperDeps(arbiter, 60 * S));
    const regionalAt = looks.find((l) => l.action.kind === 'go-regional')!.at;
    // What each look did, as the keeper reports it: nothing while the peer may come back, the
    // move with the lease's end, then a renewal on every later look.
    const before = looks.filter((l) => l.at < regionalAt);
    expect(before.map((l) => l.result)).toEqual(before.map(() => 'nothing to do'));
    expect(looks.find((l) => l.at === regionalAt)!.result).toBe(
      `regional at epoch 2 until ${new Date(regionalAt + REGIONAL_LEASE_MS).toISOString()}`,
    );
    const after = looks.filter((l) => l.at > regionalAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.map((l) => [l.action.kind, l.result])).toEqual(after.map(() => ['renew', 'renewed']));
    expect(emitted).toEqual(['KeeperWentRegional']);
    expect(regionalAt - start).toBeGreaterThanOrEqual(PEER_LOST_AFTER_MS);
    expect(regionalAt - start).toBeLessThanOrEqual(PEER_LOST_AFTER_MS + 5 * S);
    const writer = await writerIn(US);
    expect(writer).toMatchObject({ region: US, epoch: 2, durability: 'regional' });
    // Renewed on every later look: the lease ends one lease after the last look.
    expect(writer!.regionalUntil).toBe(looks.at(-1)!.at + REGIONAL_LEASE_MS);
    expect(await arbiter.read()).toEqual({ holder: US, until: writer!.regionalUntil });
    expect(await accept(api, 'a-2')).toMatchObject({ kind: 'created', durability: 'regional' });

    book.replica(EU).down = false;
    const back = await runKeeper(await keeperDeps(arbiter, 1));
    expect(back.map((l) => [l.action.kind, l.result])).toEqual([['restore', 'cross-region at epoch 3']]);
    expect(emitted).toEqual(['KeeperWentRegional', 'BookDurabilityRestored']);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 3, durability: 'cross-region' });
    expect(await arbiter.read()).toBeUndefined();
    expect(await accept(api, 'a-3')).toMatchObject({ kind: 'created', durability: 'cross-region' });
  });

  it("a keeper whose lease is not renewed (it cannot reach us-west-2) stops acknowledging at the lease's end by itself", async () => {
    const arbiter = new InMemoryArbiter();
    const api = await usApi();
    book.replica(EU).down = true;
    await runKeeper(await keeperDeps(arbiter, PEER_LOST_AFTER_MS + 1));
    const until = (await writerIn(US))!.regionalUntil!;
    arbiter.unreachable = true;
    const unrenewed = await runKeeper(await keeperDeps(arbiter, 30 * S));
    // us-west-2 not reached: every renewal fails, is counted, and renews nothing.
    expect(unrenewed.map((l) => [l.action.kind, l.result])).toEqual(
      unrenewed.map(() => ['renew', 'failed: arbiter: us-west-2 not reached']),
    );
    expect(emitted.filter((m) => m === 'KeeperActionFailed')).toHaveLength(unrenewed.length);
    expect((await writerIn(US))!.regionalUntil).toBe(until);
    now = until + 1;
    expect(await accept(api, 'b-1')).toMatchObject({ kind: 'not-taken', fenced: true });
  });

  it('never goes regional while the arbiter is held by the takeover, or cannot be reached', async () => {
    const arbiter = new InMemoryArbiter();
    await arbiter.take({ holder: EU }, now);
    book.replica(EU).down = true;
    const held = await runKeeper(await keeperDeps(arbiter, 60 * S));
    expect(held.filter((l) => l.action.kind === 'go-regional').map((l) => l.result)).toEqual(
      expect.arrayContaining(['the arbiter is held by another region: staying cross-region']),
    );
    expect(emitted).toEqual([]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 1, durability: 'cross-region' });
    await arbiter.release(EU);
    arbiter.unreachable = true;
    now += 60 * S;
    const unreached = await runKeeper(await keeperDeps(arbiter, 60 * S));
    // An arbiter it cannot read at the start is not taken for its own: it still decides from what
    // it sees (the peer lost for the window, then go regional), and every attempt fails and is counted.
    const lostFor = PEER_LOST_AFTER_MS / KEEPER_INTERVAL_MS;
    expect(did(unreached.slice(0, lostFor))).toEqual(unreached.slice(0, lostFor).map(() => ['none', 'nothing to do']));
    expect(did(unreached.slice(lostFor))).toEqual(
      unreached.slice(lostFor).map(() => ['go-regional', 'failed: arbiter: us-west-2 not reached']),
    );
    expect(emitted).toEqual(unreached.slice(lostFor).map(() => 'KeeperActionFailed'));
    expect(await writerIn(US)).toEqual({ region: US, epoch: 1, durability: 'cross-region' });
  });

  it('a lease another region took after it ran out is lost: counted, and nothing renewed', async () => {
    const arbiter = new InMemoryArbiter();
    book.replica(EU).down = true;
    await runKeeper(await keeperDeps(arbiter, PEER_LOST_AFTER_MS + 1));
    const until = (await writerIn(US))!.regionalUntil!;
    now = until + ARBITER_SKEW_MARGIN_MS + 1;
    expect(await arbiter.take({ holder: EU }, now)).toBe(true);
    emitted.splice(0);
    const looks = await runKeeper(await keeperDeps(arbiter, 1));
    expect(looks.map((l) => [l.action.kind, l.result])).toEqual([
      ['renew', 'lease lost: acknowledgements stop at its end'],
    ]);
    expect(emitted).toEqual(['KeeperLeaseLost']);
    expect((await writerIn(US))!.regionalUntil).toBe(until);
  });

  it('does nothing while the peer answers, or when the writer is elsewhere', async () => {
    const arbiter = new InMemoryArbiter();
    const looks = await runKeeper(await keeperDeps(arbiter, 60 * S));
    expect(looks.every((l) => l.action.kind === 'none')).toBe(true);
    expect(await arbiter.read()).toBeUndefined();
  });
});

describe('the keeper when the world moves between its look and its act', () => {
  it('a move by another mover between its read and its regional move: not moved, says why, counts nothing', async () => {
    const arbiter = new InMemoryArbiter();
    const deps = await keeperDeps(arbiter, PEER_LOST_AFTER_MS + 1);
    // Two moves land in us-east-1's replica after the keeper read epoch 1 and before its move.
    const raced = {
      ...deps.book,
      moveWriter: async (...a: Parameters<KeeperDeps['book']['moveWriter']>) => {
        await anotherMove(1);
        await anotherMove(2);
        return deps.book.moveWriter(...a);
      },
    };
    book.replica(EU).down = true;
    const looks = await runKeeper({ ...deps, book: raced });
    expect(did(looks.slice(-1))).toEqual([
      ['go-regional', `not moved: another move came first (now ${US} epoch 3 cross-region)`],
    ]);
    expect(emitted).toEqual([]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 3, durability: 'cross-region' });
  });

  it('a move between its read and its renewal: the lease is renewed, the moved writer is not extended', async () => {
    const arbiter = new InMemoryArbiter();
    await goneRegional(arbiter);
    const deps = await keeperDeps(arbiter, 1);
    const raced = {
      ...deps.book,
      extendRegional: async (...a: Parameters<KeeperDeps['book']['extendRegional']>) => {
        await anotherMove(2);
        return deps.book.extendRegional(...a);
      },
    };
    now += KEEPER_INTERVAL_MS;
    const looks = await runKeeper({ ...deps, book: raced });
    expect(did(looks)).toEqual([['renew', 'the writer moved since it was read: not renewed']]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 3, durability: 'cross-region' });
    expect(await arbiter.read()).toEqual({ holder: US, until: now + REGIONAL_LEASE_MS });
  });

  it('the peer back after another region took the lease it let run out: not restored, the writer stays fenced', async () => {
    const arbiter = new InMemoryArbiter();
    const until = await goneRegional(arbiter);
    now = until + ARBITER_SKEW_MARGIN_MS + 1;
    expect(await arbiter.take({ holder: EU }, now)).toBe(true);
    book.replica(EU).down = false;
    emitted.splice(0);
    const looks = await runKeeper(await keeperDeps(arbiter, 1));
    expect(did(looks)).toEqual([['restore', 'lease lost: not restoring (the acknowledgements stop at its end)']]);
    expect(emitted).toEqual([]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 2, durability: 'regional', regionalUntil: until });
    expect(await arbiter.read()).toEqual({ holder: EU });
  });

  it('the peer lost again between the look that saw it and the restore: stays regional under the renewed lease', async () => {
    const arbiter = new InMemoryArbiter();
    const until = await goneRegional(arbiter);
    book.replica(EU).down = false;
    emitted.splice(0);
    now += KEEPER_INTERVAL_MS;
    onTake(arbiter, () => (book.replica(EU).down = true));
    const looks = await runKeeper(await keeperDeps(arbiter, 1));
    expect(did(looks)).toEqual([['restore', `not restored: ${EU}'s replica does not answer`]]);
    expect(emitted).toEqual([]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 2, durability: 'regional', regionalUntil: until });
    expect(await arbiter.read()).toEqual({ holder: US, until: now + REGIONAL_LEASE_MS });
  });
  it('the writer made regional by another mover once the keeper decided: not moved, and the hold given back at the next look', async () => {
    const arbiter = new InMemoryArbiter();
    let takes = 0;
    onTake(arbiter, () => takes++ === 0 && anotherMove(1, 'regional'));
    book.replica(EU).down = true;
    const looks = await runKeeper(await keeperDeps(arbiter, PEER_LOST_AFTER_MS + KEEPER_INTERVAL_MS + 1));
    expect(did(looks.slice(-2))).toEqual([
      ['go-regional', 'not moved: unchanged'],
      ['release', 'released'],
    ]);
    expect(emitted).toEqual([]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 2, durability: 'regional' });
    expect(await arbiter.read()).toBeUndefined();
  });

  it('the writer made cross-region by another mover once the keeper decided to restore: not restored, the hold given back at the next look', async () => {
    const arbiter = new InMemoryArbiter();
    await goneRegional(arbiter);
    book.replica(EU).down = false;
    emitted.splice(0);
    let takes = 0;
    onTake(arbiter, () => takes++ === 0 && anotherMove(2));
    const looks = await runKeeper(await keeperDeps(arbiter, 2 * KEEPER_INTERVAL_MS));
    expect(did(looks)).toEqual([
      ['restore', 'not restored: unchanged'],
      ['release', 'released'],
    ]);
    expect(emitted).toEqual([]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 3, durability: 'cross-region' });
    expect(await arbiter.read()).toBeUndefined();
  });
});

describe('the keeper across looks and invocations', () => {
  it('looks at the start and every KEEPER_INTERVAL_MS of the default window, not at its end (the next invocation looks then)', async () => {
    const start = now;
    const looks = await runKeeper(await keeperDeps(new InMemoryArbiter(), undefined));
    const count = (LOOP_WINDOW_SECONDS * 1000) / KEEPER_INTERVAL_MS;
    expect(looks.map((l) => l.at - start)).toEqual(Array.from({ length: count }, (_, n) => n * KEEPER_INTERVAL_MS));
  });

  it('a hold left behind (its release after a restore failed) is given back by the next invocation, once', async () => {
    const arbiter = new InMemoryArbiter();
    await goneRegional(arbiter);
    book.replica(EU).down = false;
    const release = arbiter.release.bind(arbiter);
    arbiter.release = async () => Promise.reject(new Error('arbiter: us-west-2 not reached'));
    const restored = await runKeeper(await keeperDeps(arbiter, 1));
    expect(did(restored)).toEqual([['restore', 'failed: arbiter: us-west-2 not reached']]);
    expect(await writerIn(US)).toEqual({ region: US, epoch: 3, durability: 'cross-region' });
    expect((await arbiter.read())?.holder).toBe(US);

    arbiter.release = release;
    now += KEEPER_INTERVAL_MS;
    const next = await runKeeper(await keeperDeps(arbiter, 2 * KEEPER_INTERVAL_MS));
    expect(did(next)).toEqual([
      ['release', 'released'],
      ['none', 'nothing to do'],
    ]);
    expect(await arbiter.read()).toBeUndefined();
  });

  it('a Keeper made without saying it holds the arbiter holds nothing: nothing to give back', async () => {
    const keeper = new Keeper(await keeperDeps(new InMemoryArbiter(), 1));
    expect(did([await keeper.look()])).toEqual([['none', 'nothing to do']]);
  });

  it('logs each look: quiet ones at info, actions at warn with their result, failures at error with the error', async () => {
    const arbiter = new InMemoryArbiter();
    const logged: unknown[][] = [];
    const log =
      (level: string) =>
      (message: unknown, ...fields: unknown[]) =>
        void logged.push([level, message, ...fields]);
    const logger = { info: log('info'), warn: log('warn'), error: log('error') };
    book.replica(EU).down = true;
    const looks = await runKeeper(await keeperDeps(arbiter, PEER_LOST_AFTER_MS + 1, { logger }));
    arbiter.unreachable = true;
    looks.push(...(await runKeeper(await keeperDeps(arbiter, 1, { logger }))));
    expect(did(looks.slice(-2))).toEqual([
      ['go-regional', expect.stringMatching(/^regional at epoch 2/)],
      ['renew', 'failed: arbiter: us-west-2 not reached'],
    ]);
    expect(logged).toEqual([
      ...looks.slice(0, -2).map(({ action }) => ['info', 'keeper', { action }]),
      ['warn', 'keeper', { action: looks.at(-2)!.action, result: looks.at(-2)!.result }],
      ['error', 'keeper action failed', { action: looks.at(-1)!.action, error: looks.at(-1)!.result }],
    ]);
  });
});

describe("the keeper's environment (lambda/keeper/environment.ts)", () => {
  const env = {
    AWS_REGION: US,
    BOOK_TABLE_NAME: 'ddb-order-book-dev',
    PEER_REGION: EU,
    ARBITER_TABLE: 'ddb-arbiter-dev',
    ARBITER_TABLE_REGION: 'us-west-2',
    ENVIRONMENT: 'dev',
  };

  it('reads the regions and tables', () => {
    expect(keeperConfigFromEnv(env)).toEqual({
      region: US,
      peer: EU,
      bookTable: 'ddb-order-book-dev',
      arbiter: { tableName: 'ddb-arbiter-dev', region: 'us-west-2' },
      environment: 'dev',
    });
  });

  it.each([
    [{ PEER_REGION: US }, /PEER_REGION must differ from AWS_REGION/],
    [{ ARBITER_TABLE_REGION: EU }, /ARBITER_TABLE_REGION must be a third region/],
    [{ ARBITER_TABLE_REGION: US }, /ARBITER_TABLE_REGION must be a third region/],
    [{ ARBITER_TABLE: ' ' }, /ARBITER_TABLE must be set/],
  ])('refuses %j, naming the variable', (over, message) => {
    expect(() => keeperConfigFromEnv({ ...env, ...over })).toThrow(message);
  });
});
