/**
 * The request ledger's contract, run against both stores: DynamoDB (on dynalite, which evaluates
 * condition and update expressions) and the in-memory store of `npm run serve`. Passing both is
 * what makes the local one a faithful stand-in for the table every instance of a region shares.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import {
  DynamoLedgerStore,
  gcra,
  gcraOf,
  LedgerFullError,
  LedgerStore,
  MemoryLedgerStore,
  nonceQuota,
  RequestLedger,
} from '../../lambda/trading/request-ledger';
import { useLocalDynamoDB } from '../helpers/local-dynamodb';

const T0 = Date.UTC(2030, 0, 1);

const client = useLocalDynamoDB('us-east-1');

let tables = 0;
async function dynamoStore(): Promise<LedgerStore> {
  const name = `ddb-auth-ledger-test-${++tables}`;
  // The table lib/security/request-ledger-table.ts plans: a `pk` string hash key, on demand.
  await client().send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }),
  );
  return new DynamoLedgerStore(DynamoDBDocumentClient.from(client()), name);
}

const stores: [string, () => Promise<LedgerStore>][] = [
  ['DynamoDB (dynalite)', dynamoStore],
  ['in memory', async () => new MemoryLedgerStore()],
];

describe.each(stores)('request ledger: %s', (_name, make) => {
  let ledger: RequestLedger;
  beforeEach(async () => void (ledger = new RequestLedger(await make())));

  it('records a nonce once per client within its lifetime, and forgets it afterwards', async () => {
    expect(await ledger.record('a', 'n1', T0, 6_001)).toBe('fresh');
    expect(await ledger.record('a', 'n1', T0 + 1_000, 6_001)).toBe('replayed');
    expect(await ledger.record('b', 'n1', T0, 6_001)).toBe('fresh');
    // An expired nonce that TTL has not deleted yet is absent for the condition (whole seconds).
    expect(await ledger.record('a', 'n1', T0 + 8_000, 6_001)).toBe('fresh');
  });

  it('refuses all but one of concurrent records of one nonce (two instances at once)', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => ledger.record('a', 'same', T0, 6_001)));
    expect(results.filter((r) => r === 'fresh')).toHaveLength(1);
  });

  it('admits a burst, then the rate, and says how long to wait', async () => {
    const limits = { ratePerSecond: 2, burst: 3 };
    expect(await Promise.all([0, 0, 0].map(() => ledger.take('a', limits, T0)))).toEqual([0, 0, 0]);
    expect(await ledger.take('a', limits, T0)).toBe(1);
    expect(await ledger.take('b', limits, T0)).toBe(0); // another client has its own bucket
    expect(await ledger.take('a', limits, T0 + 500)).toBe(0); // half a second at 2/s: one token
    expect(await ledger.take('a', limits, T0 + 500)).toBe(1);
    const slow = { ratePerSecond: 0.1, burst: 1 };
    expect(await ledger.take('c', slow, T0)).toBe(0);
    expect(await ledger.take('c', slow, T0)).toBe(10);
  });

  it('admits exactly the burst of concurrent requests (the whole fleet at once)', async () => {
    const limits = { ratePerSecond: 1, burst: 5 };
    const waits = await Promise.all(Array.from({ length: 20 }, () => ledger.take('a', limits, T0)));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
  });

  it('starts an idle bucket full again', async () => {
    const limits = { ratePerSecond: 1, burst: 2 };
    for (const w of [0, 0, 1]) expect(await ledger.take('a', limits, T0)).toBe(w);
    expect(await ledger.take('a', limits, T0 + 60_000)).toBe(0);
    expect(await ledger.take('a', limits, T0 + 60_000)).toBe(0);
    expect(await ledger.take('a', limits, T0 + 60_000)).toBe(1);
  });
});

describe('GCRA', () => {
  it('never admits more than burst + rate x time, and admits that much from a client that keeps asking', () => {
    fc.assert(
      fc.property(
        fc.record({ ratePerSecond: fc.integer({ min: 1, max: 50 }), burst: fc.integer({ min: 1, max: 20 }) }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }),
        (limits, gaps) => {
          const rate = gcraOf(limits);
          let tat: number | undefined;
          let now = T0;
          let admitted = 0;
          for (const gap of gaps) {
            now += gap;
            const d = gcra(rate, tat, now);
            if (d.waitMs === 0) admitted++;
            tat = d.tat;
          }
          const elapsedS = (now - T0) / 1000;
          expect(admitted).toBeLessThanOrEqual(limits.burst + Math.floor(elapsedS * limits.ratePerSecond + 1e-9));
        },
      ),
      { numRuns: 300, seed: 25 },
    );
  });

  it('bounds the nonces a client can hold: its quota of the store', async () => {
    // A client that asks as fast as it can for a whole nonce lifetime records at most its quota.
    const limits = { ratePerSecond: 2, burst: 4 };
    const ttl = 6_001;
    const ledger = new RequestLedger(new MemoryLedgerStore());
    let recorded = 0;
    for (let t = 0; t < ttl; t += 10) {
      if ((await ledger.take('a', limits, T0 + t)) === 0) {
        await ledger.record('a', `n${t}`, T0 + t, ttl);
        recorded++;
      }
    }
    expect(recorded).toBeLessThanOrEqual(nonceQuota(limits, ttl));
    expect(nonceQuota(limits, ttl)).toBe(4 + 13);
  });
});

describe('in-memory store bound', () => {
  it('sweeps expired entries when full, and refuses (never forgets a live one) when still full', async () => {
    const store = new MemoryLedgerStore(3);
    const ledger = new RequestLedger(store);
    for (const n of ['1', '2', '3']) expect(await ledger.record('a', n, 0, 1_000)).toBe('fresh');
    await expect(ledger.record('a', '4', 999, 1_000)).rejects.toThrow(LedgerFullError);
    expect(await ledger.record('a', '1', 999, 1_000)).toBe('replayed');
    expect(await ledger.record('a', '4', 1_000, 1_000)).toBe('fresh');
    expect(store.size).toBe(1);
  });
});
