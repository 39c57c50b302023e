/**
 * The arbiter (lambda/shared/arbiter.ts) on a local DynamoDB (dynalite evaluates the condition
 * expressions): one holder at a time; a lease is free to others only once it ended more than the
 * skew margin ago; a takeover's hold (no end) never lapses; only the holder releases it.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { ARBITER_SKEW_MARGIN_MS, REGIONAL_LEASE_MS } from '../../lambda/facts/keeper';
import { arbiter, InMemoryArbiter, type Arbiter } from '../../lambda/shared/arbiter';
import { useLocalDynamoDB } from '../helpers/local-dynamodb';

const US = 'us-east-1';
const EU = 'eu-west-1';
const client = useLocalDynamoDB('us-west-2');
let n = 0;

async function freshArbiter(): Promise<Arbiter> {
  const tableName = `arbiter-${++n}`;
  await client().send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }),
  );
  return arbiter({ tableName, client: client() });
}

const T = 1_800_000_000_000;

describe.each([
  ['on DynamoDB (dynalite)', freshArbiter],
  ['in memory (tests and the drill)', async (): Promise<Arbiter> => new InMemoryArbiter()],
])('arbiter %s', (_name, freshArbiter) => {
  it('two contenders at once: exactly one takes it', async () => {
    const a = await freshArbiter();
    const won = await Promise.all([a.take({ holder: US, until: T + REGIONAL_LEASE_MS }, T), a.take({ holder: EU }, T)]);
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it("the keeper renews its own lease; the takeover waits for the lease's end plus the skew margin", async () => {
    const a = await freshArbiter();
    const end = T + REGIONAL_LEASE_MS;
    expect(await a.take({ holder: US, until: end }, T)).toBe(true);
    expect(await a.take({ holder: US, until: end + 5_000 }, T + 5_000)).toBe(true);
    expect(await a.read()).toEqual({ holder: US, until: end + 5_000 });
    // Ended, but not by more than the margin: still the keeper's.
    expect(await a.take({ holder: EU }, end + 5_000 + ARBITER_SKEW_MARGIN_MS)).toBe(false);
    expect(await a.take({ holder: EU }, end + 5_000 + ARBITER_SKEW_MARGIN_MS + 1)).toBe(true);
    expect(await a.read()).toEqual({ holder: EU });
    // And the keeper cannot renew what it lost.
    expect(await a.take({ holder: US, until: end + 60_000 }, end + 10_000)).toBe(false);
  });

  it("a takeover's hold has no end: the keeper cannot take it however late, until the holder releases it", async () => {
    const a = await freshArbiter();
    expect(await a.take({ holder: EU }, T)).toBe(true);
    expect(await a.take({ holder: US, until: T + 1e12 }, T + 1e11)).toBe(false);
    await a.release(US); // not the holder: nothing happens
    expect(await a.read()).toEqual({ holder: EU });
    await a.release(EU);
    expect(await a.read()).toBeUndefined();
    expect(await a.take({ holder: US, until: T + REGIONAL_LEASE_MS }, T)).toBe(true);
  });

  it('refuses a lease that ends before now', async () => {
    const a = await freshArbiter();
    await expect(a.take({ holder: US, until: T }, T)).rejects.toThrow(/must end after now/);
  });
});
