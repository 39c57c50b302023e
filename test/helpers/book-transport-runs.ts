/**
 * One order from us-east-1 under each fault the book emulator injects, through both transports
 * (HTTP and in process), printed as JSON. Run as its own Node process by
 * test/book-transport.test.ts: inside jest's module realm the SDK wraps every error Node's own
 * http module raises ("AWS SDK error wrapper for TimeoutError": not an `instanceof Error` there),
 * which no Lambda and no drill ever sees.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { orderPk } from '../../lambda/shared/book-order';
import { bookWriter, type BookReplicas as Replicas } from '../../lambda/shared/book-writer';
import { OrderBook } from '../../lambda/shared/order-book';
import { orderIdFor } from '../../lambda/trading/order';
import { BookReplicas, type PathFault } from '../../scripts/local/book-replicas';

const US = 'us-east-1';
const EU = 'eu-west-1';
const BOUNDS = { readWriterMs: 300, peerWriteMs: 300, localWriteMs: 300, marginMs: 50 };

export const FAULTS: [string, string, PathFault | 'down'][] = [
  ['no fault', EU, {}],
  ['peer replica down', EU, 'down'],
  ['peer connection reset', EU, { reset: true }],
  ['peer answers 500', EU, { fail: true }],
  ['peer never answers', EU, { hang: true }],
  ['peer applies, then the reply is lost (reset)', EU, { afterCommit: 'reset' }],
  ['peer applies, then never answers', EU, { afterCommit: 'hang' }],
  ['peer slower than its bound', EU, { latencyMs: 600 }],
  ['local replica down', US, 'down'],
  ['local applies, then the reply is lost (reset)', US, { afterCommit: 'reset' }],
];

export interface Run {
  readonly outcome: Record<string, unknown>;
  readonly storedIn: string[];
}

async function acceptWith(inProcess: boolean, target: string, fault: PathFault | 'down'): Promise<Run> {
  const book = await BookReplicas.start({ regions: [US, EU], lagMs: 60_000, inProcess });
  const clients: DynamoDBClient[] = [];
  const replicas = (from: string): Promise<Replicas> => book.replicasFrom(from, clients, { requestTimeoutMs: 2_000 });
  try {
    await bookWriter(await replicas(US)).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    const api = new OrderBook({
      replicas: await replicas(US),
      region: US,
      peer: EU,
      signingKey: async () => Buffer.alloc(32, 7),
      bounds: BOUNDS,
    });
    if (fault === 'down') book.replica(target).down = true;
    else Object.assign(book.path(US, target), fault);
    const input = { clientOrderId: 'c-1', symbol: 'AAPL', side: 'buy', type: 'market', quantity: '5' } as const;
    const result = (await api.accept('desk-a', input, Date.now() + 1_200)) as Record<string, unknown>;
    // The order's creation time is the clock's, not the transport's.
    const order = result.order as Record<string, unknown> | undefined;
    const outcome = order ? { ...result, order: { ...order, createdAt: 'at' } } : result;
    book.clearFaults();
    book.replica(target).down = false;
    const storedIn: string[] = [];
    for (const region of [US, EU]) {
      const out = await (await replicas(region)).client(region).send(
        new GetItemCommand({
          TableName: book.tableName,
          Key: { pk: { S: orderPk(orderIdFor('desk-a', 'c-1')) } },
          ConsistentRead: true,
        }),
      );
      if (out.Item) storedIn.push(region);
    }
    return { outcome, storedIn };
  } finally {
    for (const c of clients) c.destroy();
    await book.stop();
  }
}

if (require.main === module) {
  (async () => {
    const runs: { fault: string; http: Run; inProcess: Run }[] = [];
    // A fault's two runs at once, and two faults at a time: each run has an emulator of its own,
    // and most faults are waits (a bound running out), which then overlap. Not more at once: an
    // order that is created must be written inside each 300 ms bound on a loaded machine.
    const queue = [...FAULTS];
    const lane = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [name, target, fault] = next;
        const [http, inProcess] = await Promise.all([
          acceptWith(false, target, fault),
          acceptWith(true, target, fault),
        ]);
        runs.push({ fault: name, http, inProcess });
      }
    };
    await Promise.all([lane(), lane()]);
    process.stdout.write(JSON.stringify(runs));
  })().catch((e) => {
    process.stderr.write(String(e?.stack ?? e));
    process.exit(1);
  });
}
