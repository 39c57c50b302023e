/**
 * Where the orchestrator moves the order book's writer (lambda/orchestrator/book-moves.ts): the
 * durability rule directly, and the moves on the two-replica emulator (dynalite replicas, real
 * SDK clients, the replication pump stopped or cut where a case needs it).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { BookMover, durabilityFor, moveBookWriter, restoredDurability } from '../../lambda/orchestrator/book-moves';
import { bootstrapWriter, replicaBookControl, type OrderBookControl } from '../../lambda/orchestrator/order-book';
import { bookWriter, type BookReplicas as Replicas } from '../../lambda/shared/book-writer';
import { BookReplicas } from '../../scripts/local/book-replicas';

const US = 'us-east-1';
const EU = 'eu-west-1';

describe('the durability rule', () => {
  it('cross-region only when configured, the peer answers and the gate does not hold it for gone', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('cross-region', 'regional'),
        (answers, gone, configured) =>
          expect(durabilityFor(answers, gone, configured)).toBe(
            configured === 'cross-region' && answers && !gone ? 'cross-region' : 'regional',
          ),
      ),
    );
  });

  it('a regional writer is restored in place once its peer answers; a cross-region one is left alone', () => {
    const regional = { region: EU, epoch: 8, durability: 'regional' as const };
    expect(restoredDurability(regional, true, false)).toEqual({ region: EU, durability: 'cross-region' });
    expect(restoredDurability(regional, false, false)).toBeUndefined();
    expect(restoredDurability(regional, true, true)).toBeUndefined();
    expect(restoredDurability({ ...regional, durability: 'cross-region' }, true, false)).toBeUndefined();
    expect(restoredDurability(undefined, true, false)).toBeUndefined();
  });
});

/** The orchestrator's control of `book`, from eu-west-1 (where it runs); clients kept in `clients`. */
async function controlOf(book: BookReplicas, clients: DynamoDBClient[]): Promise<OrderBookControl> {
  const byRegion = new Map<string, DynamoDBClient>();
  for (const r of [US, EU]) {
    const c = await book.client(EU, r, { requestTimeoutMs: 2_000 });
    clients.push(c);
    byRegion.set(r, c);
  }
  const replicas: Replicas = { tableName: book.tableName, regions: [US, EU], client: (r) => byRegion.get(r)! };
  return replicaBookControl(bookWriter(replicas));
}

describe('moves on the two-replica emulator', () => {
  let book: BookReplicas;
  const clients: DynamoDBClient[] = [];

  const control = () => controlOf(book, clients);

  beforeEach(async () => {
    book = await BookReplicas.start({ regions: [US, EU], lagMs: 0 });
    await (await control()).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    expect(await book.settle()).toBe(true);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await book.stop();
  });

  it('a planned move with both replicas up: epoch + 1, cross-region, the same item in both replicas', async () => {
    const c = await control();
    const move = await new BookMover(c, US, EU).moveTo(EU, { peerGone: false, planned: true });
    expect(move).toMatchObject({ kind: 'moved', to: { region: EU, epoch: 2, durability: 'cross-region' } });
    for (const r of [US, EU])
      expect(await c.readWriter(r)).toEqual({ region: EU, epoch: 2, durability: 'cross-region' });
  });

  it("a move while the peer's replica is down: regional (cross-region would take no order)", async () => {
    book.replica(US).down = true;
    const move = await new BookMover(await control(), US, EU).moveTo(EU, { peerGone: false, planned: true });
    expect(move).toMatchObject({ kind: 'moved', to: { region: EU, epoch: 2, durability: 'regional' } });
  });

  it('a planned move is refused while the replicas disagree on the writer (replication behind)', async () => {
    const c = await control();
    // eu-west-1's replica takes epoch 2 alone: replication and the direct copy to us-east-1 are cut.
    book.partitioned = true;
    book.path(EU, US).fail = true;
    await c.moveWriter({ to: EU, fromEpoch: 1, durability: 'regional' });
    book.path(EU, US).fail = false;
    const move = await moveBookWriter(c, { region: US, durability: 'cross-region' }, { compareWith: EU });
    expect(move).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/replicas disagree/) });
    expect(await c.readWriter(EU)).toEqual({ region: EU, epoch: 2, durability: 'regional' });
  });

  it('a move that loses the race is skipped, even to a winner in the same region at the same epoch', async () => {
    const c = await control();
    // Another decider moves the writer to eu-west-1 first, cross-region, from the epoch this one read.
    const racing: OrderBookControl = {
      ...c,
      moveWriter: async (request) => {
        await c.moveWriter({ ...request, durability: 'cross-region' });
        return c.moveWriter(request);
      },
    };
    const move = await moveBookWriter(racing, { region: EU, durability: 'regional' });
    expect(move).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/another move came first/) });
    expect(await c.readWriter(EU)).toEqual({ region: EU, epoch: 2, durability: 'cross-region' });
  });

  it('after a takeover, the regional writer returns to cross-region once the peer answers: the item in both replicas', async () => {
    const c = await control();
    book.replica(US).down = true;
    await new BookMover(c, US, EU).moveTo(EU, { peerGone: true });
    const mover = new BookMover(c, US, EU);
    expect(await mover.restoreCrossRegion(await c.readWriter(EU))).toMatchObject({ kind: 'skipped' });
    book.replica(US).down = false;
    const move = await mover.restoreCrossRegion(await c.readWriter(EU));
    expect(move).toMatchObject({ kind: 'moved', to: { region: EU, epoch: 3, durability: 'cross-region' } });
    expect(await c.readWriter(US)).toEqual({ region: EU, epoch: 3, durability: 'cross-region' });
  });

  it("a restore whose item does not reach the peer's replica is undone at once (back to regional)", async () => {
    const c = await control();
    book.replica(US).down = true;
    await new BookMover(c, US, EU).moveTo(EU, { peerGone: true });
    book.replica(US).down = false;
    // Reads reach us-east-1, writes fail there: the copy of the new item is lost.
    const answers: OrderBookControl = {
      ...c,
      moveWriter: async (request) => {
        book.partitioned = true;
        book.path(EU, US).fail = true;
        try {
          return await c.moveWriter(request);
        } finally {
          book.path(EU, US).fail = false;
        }
      },
    };
    const move = await new BookMover(answers, US, EU).restoreCrossRegion(await c.readWriter(EU));
    expect(move).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/back to regional/) });
    expect(await c.readWriter(EU)).toEqual({ region: EU, epoch: 4, durability: 'regional' });
  });
});

describe('regional moves under the guard (the arbiter: lambda/shared/arbiter.ts)', () => {
  let book: BookReplicas;
  const clients: DynamoDBClient[] = [];
  const control = () => controlOf(book, clients);
  beforeEach(async () => {
    book = await BookReplicas.start({ regions: [US, EU], lagMs: 0 });
    await (await control()).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    expect(await book.settle()).toBe(true);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await book.stop();
  });

  it('a takeover the guard refuses moves nothing; allowed, it moves', async () => {
    const c = await control();
    book.replica(US).down = true;
    let refusal: string | undefined = 'the keeper holds the lease';
    const mover = new BookMover(c, US, EU, 'cross-region', { allow: async () => refusal });
    expect(await mover.moveTo(EU, { peerGone: true })).toEqual({ kind: 'skipped', reason: refusal });
    expect(await c.readWriter(EU)).toEqual({ region: US, epoch: 1, durability: 'cross-region' });
    refusal = undefined;
    expect(await mover.moveTo(EU, { peerGone: true })).toMatchObject({ kind: 'moved', to: { region: EU, epoch: 2 } });
  });

  it('a cross-region move never asks the guard (it cannot make two regional writers)', async () => {
    const asked: string[] = [];
    const mover = new BookMover(await control(), US, EU, 'cross-region', {
      allow: async (r) => (asked.push(r), 'no'),
    });
    expect(await mover.moveTo(EU, { peerGone: false, planned: true })).toMatchObject({ kind: 'moved' });
    expect(asked).toEqual([]);
  });

  it("the keeper's regional move carries its lease's end, and so does a restore undone", async () => {
    const c = await control();
    const until = Date.now() + 20_000;
    const mover = new BookMover(c, US, EU, 'cross-region', { regionalUntil: () => until });
    book.replica(EU).down = true;
    expect(await mover.moveTo(US, { peerGone: true })).toMatchObject({
      kind: 'moved',
      to: { region: US, epoch: 2, durability: 'regional', regionalUntil: until },
    });
    book.replica(EU).down = false;
    const lossy: OrderBookControl = {
      ...c,
      moveWriter: async (request) => {
        book.partitioned = true;
        book.path(EU, EU).fail = true;
        try {
          return await c.moveWriter(request);
        } finally {
          book.path(EU, EU).fail = false;
        }
      },
    };
    const undone = await new BookMover(lossy, US, EU, 'cross-region', {
      regionalUntil: () => until,
    }).restoreCrossRegion(await c.readWriter(US));
    expect(undone).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/back to regional/) });
    expect(await c.readWriter(US)).toEqual({ region: US, epoch: 4, durability: 'regional', regionalUntil: until });
  });
});

describe("a new stack's first writer item (bootstrapWriter, the orchestrator's first run)", () => {
  let book: BookReplicas;
  const clients: DynamoDBClient[] = [];
  const control = () => controlOf(book, clients);
  beforeEach(async () => {
    book = await BookReplicas.start({ regions: [US, EU], lagMs: 0 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await book.stop();
  });

  it('writes epoch 1 in the primary (copied to the peer) when no replica holds one, once', async () => {
    const c = await control();
    expect(await bootstrapWriter(c, [US, EU], { region: US, durability: 'cross-region' })).toBe('created');
    for (const r of [US, EU])
      expect(await c.readWriter(r)).toEqual({ region: US, epoch: 1, durability: 'cross-region' });
    expect(await bootstrapWriter(c, [US, EU], { region: US, durability: 'cross-region' })).toBe('exists');
    expect(await c.readWriter(US)).toEqual({ region: US, epoch: 1, durability: 'cross-region' });
  });

  it('never overwrites a writer either replica holds, and writes nothing while a replica cannot be read', async () => {
    const c = await control();
    await c.moveWriter({ to: EU, fromEpoch: 0, durability: 'regional' });
    book.path(EU, US).fail = true;
    await expect(bootstrapWriter(c, [US, EU], { region: US, durability: 'cross-region' })).rejects.toThrow();
    book.path(EU, US).fail = false;
    expect(await book.settle()).toBe(true);
    expect(await bootstrapWriter(c, [US, EU], { region: US, durability: 'cross-region' })).toBe('exists');
    expect(await c.readWriter(US)).toEqual({ region: EU, epoch: 1, durability: 'regional' });
  });
});
