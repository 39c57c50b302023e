/**
 * The order book's writer item and the two-replica emulator it is tested on: a move is a fence
 * in the replica it is written to (a write checked against the old epoch is refused there at
 * once), the other replica learns it only by replication, and the emulator's transactions,
 * replication and faults behave as the DynamoDB documentation says the real ones do.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { BOOK_KEY, bookWriter, writerKey, type BookReplicas as Replicas } from '../../lambda/shared/book-writer';
import { BookReplicas } from '../../scripts/local/book-replicas';

const US = 'us-east-1';
const EU = 'eu-west-1';

let book: BookReplicas;
const clients: DynamoDBClient[] = [];

/** What a function in `from` sees: its own replica and its peer's, each through its path. */
async function replicasFrom(from: string, requestTimeoutMs = 2_000): Promise<Replicas> {
  const byRegion = new Map<string, DynamoDBClient>();
  for (const r of [US, EU]) {
    const c = await book.client(from, r, { requestTimeoutMs });
    clients.push(c);
    byRegion.set(r, c);
  }
  return { tableName: book.tableName, client: (r) => byRegion.get(r)! };
}

beforeEach(async () => {
  book = await BookReplicas.start({ regions: [US, EU], lagMs: 0 });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await book.stop();
});

/** The acknowledging write's shape: the writer item checked, the order put, in one transaction. */
const fencedPut = (tableName: string, id: string, region: string, epoch: number) =>
  new TransactWriteItemsCommand({
    TransactItems: [
      {
        ConditionCheck: {
          TableName: tableName,
          Key: writerKey(),
          ConditionExpression: '#region = :region AND #epoch = :epoch',
          ExpressionAttributeNames: { '#region': 'region', '#epoch': 'epoch' },
          ExpressionAttributeValues: { ':region': { S: region }, ':epoch': { N: String(epoch) } },
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: { [BOOK_KEY]: { S: `order#${id}` } },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': BOOK_KEY },
        },
      },
    ],
  });

const orderIn = async (replicas: Replicas, region: string, id: string) =>
  (
    await replicas
      .client(region)
      .send(new GetItemCommand({ TableName: book.tableName, Key: { pk: { S: `order#${id}` } }, ConsistentRead: true }))
  ).Item;

describe('writer item', () => {
  it('is created once (fromEpoch 0), and a second creator learns the current writer', async () => {
    const us = await replicasFrom(US);
    const w = bookWriter(us);
    await expect(w.moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' })).resolves.toEqual({
      moved: true,
      writer: { region: US, epoch: 1, durability: 'cross-region' },
    });
    await expect(w.moveWriter({ to: US, fromEpoch: 0, durability: 'regional' })).resolves.toEqual({
      moved: false,
      current: { region: US, epoch: 1, durability: 'cross-region' },
    });
  });

  it('moves only from the epoch the target replica holds: two deciders cannot both move it', async () => {
    const eu = bookWriter(await replicasFrom(EU));
    await eu.moveWriter({ to: EU, fromEpoch: 0, durability: 'cross-region' });
    const [a, b] = await Promise.all([
      eu.moveWriter({ to: EU, fromEpoch: 1, durability: 'regional' }),
      eu.moveWriter({ to: EU, fromEpoch: 1, durability: 'cross-region' }),
    ]);
    expect([a.moved, b.moved].sort()).toEqual([false, true]);
    expect((await eu.readWriter(EU))?.epoch).toBe(2);
  });

  it('refuses a malformed move before writing anything', async () => {
    const w = bookWriter(await replicasFrom(US));
    await expect(w.moveWriter({ to: US, fromEpoch: -1, durability: 'regional' })).rejects.toThrow(/fromEpoch/);
    await expect(w.moveWriter({ to: US, fromEpoch: 0, durability: 'eventual' as never })).rejects.toThrow(/durability/);
    expect(await w.readWriter(US)).toBeUndefined();
  });

  it('a malformed stored writer item is an error naming it, never a guess', async () => {
    const us = await replicasFrom(US);
    await us
      .client(US)
      .send(new PutItemCommand({ TableName: book.tableName, Item: { ...writerKey(), region: { S: US } } }));
    await expect(bookWriter(us).readWriter(US)).rejects.toThrow(/malformed writer item/);
  });
});

describe('the fence', () => {
  it('after a move in the survivor replica, a write checked against the old epoch is refused there at once', async () => {
    const us = await replicasFrom(US);
    const eu = await replicasFrom(EU);
    await bookWriter(us).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    expect(await book.settle()).toBe(true);
    // Before the move: us-east-1's write to the eu replica, checked against epoch 1, passes.
    await us.client(EU).send(fencedPut(book.tableName, 'a', US, 1));
    // Replication is cut, and eu-west-1 takes over in its own replica.
    book.partitioned = true;
    const moved = await bookWriter(eu).moveWriter({ to: EU, fromEpoch: 1, durability: 'regional' });
    expect(moved).toEqual({ moved: true, writer: { region: EU, epoch: 2, durability: 'regional' } });
    // The old writer's write to the survivor is refused, and nothing of it is stored.
    await expect(us.client(EU).send(fencedPut(book.tableName, 'b', US, 1))).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
    });
    expect(await orderIn(eu, EU, 'b')).toBeUndefined();
    // us-east-1's own replica has not heard (that is why the acknowledging path writes both).
    expect(await bookWriter(us).readWriter(US)).toEqual({ region: US, epoch: 1, durability: 'cross-region' });
    // Once replication resumes, the move reaches it: last writer wins.
    book.partitioned = false;
    expect(await book.settle()).toBe(true);
    expect(await bookWriter(us).readWriter(US)).toEqual({ region: EU, epoch: 2, durability: 'regional' });
  });
});

describe('the emulator', () => {
  it('replicates after the lag, not before, and holds records while partitioned', async () => {
    book.lagMs = 150;
    const us = await replicasFrom(US);
    await bookWriter(us).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    expect(await bookWriter(us).readWriter(EU)).toBeUndefined();
    expect(await book.settle()).toBe(true);
    expect(await bookWriter(us).readWriter(EU)).toEqual({ region: US, epoch: 1, durability: 'cross-region' });
    book.lagMs = 0;
    book.partitioned = true;
    await us.client(US).send(fencedPut(book.tableName, 'p', US, 1));
    expect(await book.settle(100)).toBe(false);
    expect(await orderIn(us, EU, 'p')).toBeUndefined();
    book.partitioned = false;
    expect(await book.settle()).toBe(true);
    expect(await orderIn(us, EU, 'p')).toBeDefined();
  });

  it('a transaction is all or nothing: a failed condition on the order leaves the writer check without effect', async () => {
    const us = await replicasFrom(US);
    await bookWriter(us).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    await us.client(US).send(fencedPut(book.tableName, 'x', US, 1));
    await expect(us.client(US).send(fencedPut(book.tableName, 'x', US, 1))).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    const inserts = book.stream(US).filter((r) => r.dynamodb.Keys.pk.S === 'order#x');
    expect(inserts.map((r) => r.eventName)).toEqual(['INSERT']);
  });

  it('concurrent writes to one item in both replicas converge on the later one in both (last writer wins)', async () => {
    const us = await replicasFrom(US);
    book.partitioned = true;
    const put = (region: string, v: string) =>
      us.client(region).send(new PutItemCommand({ TableName: book.tableName, Item: { pk: { S: 'k' }, v: { S: v } } }));
    await put(US, 'first');
    await put(EU, 'second');
    book.partitioned = false;
    expect(await book.settle()).toBe(true);
    for (const r of [US, EU]) {
      const item = await us.client(r).send(new GetItemCommand({ TableName: book.tableName, Key: { pk: { S: 'k' } } }));
      expect(item.Item?.v.S).toBe('second');
    }
  });

  it('a write whose reply is lost is stored although the caller saw an error', async () => {
    const us = await replicasFrom(US, 300);
    await bookWriter(us).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    book.path(US, EU).afterCommit = 'reset';
    await expect(us.client(EU).send(fencedPut(book.tableName, 'lost', US, 1))).rejects.toThrow();
    book.path(US, EU).afterCommit = 'hang';
    await expect(us.client(EU).send(fencedPut(book.tableName, 'hung', US, 1))).rejects.toThrow();
    book.clearFaults();
    expect(await orderIn(us, EU, 'lost')).toBeDefined();
    expect(await orderIn(us, EU, 'hung')).toBeDefined();
  });

  it('a replica that is down resets every caller and stops replicating until it is back', async () => {
    const us = await replicasFrom(US, 300);
    book.replica(EU).down = true;
    await expect(bookWriter(us).readWriter(EU)).rejects.toThrow();
    await bookWriter(us).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    expect(await book.settle(100)).toBe(false);
    book.replica(EU).down = false;
    expect(await book.settle()).toBe(true);
    expect((await bookWriter(us).readWriter(EU))?.region).toBe(US);
  });
});
