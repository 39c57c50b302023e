import { auditJournalMessage } from '../../lambda/journal-auditor/audit';
import { JOURNAL_TIMEOUT_RANGE_MS } from '../../lambda/facts/journal';
import {
  encodeJournalEntry,
  FENCED_RETRY_MS,
  JOURNAL_ENTRY_KIND,
  JournalEntry,
  journalConfigFromEnv,
  parseJournalEntry,
  PeerFence,
} from '../../lambda/shared/journal';
import { handleRequest } from '../../lambda/trading/api';
import { apiRequest } from '../helpers/trading-requests';
import { boundedClientSettings } from '../../lambda/shared/postgres';
import { createRuntime, DB_WAIT_BOUNDS, requireEnv, Runtime } from '../../lambda/trading/runtime';
import { FakeJournalQueues } from '../helpers/journal-queues';
import { closeTradingDb, limitOrder } from '../helpers/trading-db';
import { CLIENTS, DB_NAME, startTradingDb, TradingDb } from '../../scripts/local/trading-db';

/**
 * The order path with cross-region durability against PostgreSQL 14: an order is acknowledged
 * only once the other region's journal holds it; a journal that fails or hangs never yields a
 * 201, and the insert is rolled back.
 */
let db: TradingDb;
const runtimes: Runtime[] = [];
const QUEUES = JSON.stringify({
  'us-east-1': 'https://sqs.us-east-1.amazonaws.com/123456789012/sqs-journal-use1-test',
  'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-euw1-test',
});

function runtime(
  journal: FakeJournalQueues,
  options: { env?: Record<string, string>; fence?: PeerFence } = {},
): Runtime {
  const r = createRuntime(
    requireEnv({
      ...db.env,
      REGION_NAME: 'us-east-1',
      REGION_ROLE: 'primary',
      ORDER_DURABILITY: 'cross-region',
      JOURNAL_QUEUE_URLS: QUEUES,
      JOURNAL_TIMEOUT_MS: '300',
      ...options.env,
    }),
    { secrets: db.secrets.client, journalSender: journal, fence: options.fence },
  );
  runtimes.push(r);
  return r;
}

const order = limitOrder;

/** POST /orders signed as desk A (the order's owner in these tests). */
async function post(r: Runtime, body: object) {
  const response = await handleRequest(apiRequest('POST', '/orders', body, { region: r.deps.region }), r.deps);
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}

async function sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = await db.pg.admin(DB_NAME);
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

const rowsFor = async (clientOrderId: string) =>
  (await sql<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE client_order_id = $1', [clientOrderId]))[0].n;

beforeAll(async () => {
  db = await startTradingDb();
});

afterAll(() => closeTradingDb(db, runtimes));

describe('cross-region durability: acknowledged only once journaled in the other region', () => {
  it('201 carries the order the journal in the writer’s peer region holds (same id, same timestamp)', async () => {
    const journal = new FakeJournalQueues();
    const created = await post(runtime(journal), order('j-ok'));
    expect(created.status).toBe(201);
    expect(journal.bodies('us-east-1')).toEqual([]);
    expect(journal.bodies('eu-west-1')).toEqual([
      {
        kind: JOURNAL_ENTRY_KIND,
        writerRegion: 'us-east-1',
        journaledAt: expect.any(String),
        clientId: CLIENTS.deskA.clientId,
        order: created.body,
      },
    ]);
    expect(await rowsFor('j-ok')).toBe(1);
  });

  it('stores every field exactly through the journaled insert (NULL limit price, extreme decimals)', async () => {
    const journal = new FakeJournalQueues();
    const r = runtime(journal);
    const market = await post(r, order('j-mkt_-1', { type: 'market', limitPrice: undefined, quantity: '0.00000001' }));
    const big = await post(r, order('j-big', { quantity: '999999999999.99999999', limitPrice: '000.5' }));
    expect([market.status, big.status]).toEqual([201, 201]);
    expect(market.body).toMatchObject({ clientOrderId: 'j-mkt_-1', type: 'market', quantity: '0.00000001' });
    expect(market.body.limitPrice).toBeUndefined();
    expect(big.body).toMatchObject({ quantity: '999999999999.99999999', limitPrice: '0.5' });
    const stored = await sql<{ limit_price: string | null }>(
      "SELECT limit_price FROM orders WHERE client_order_id = 'j-mkt_-1'",
    );
    expect(stored).toEqual([{ limit_price: null }]);
  });

  it('a failed journal write answers a retryable 503 and leaves nothing stored; the retry stores it once', async () => {
    const journal = new FakeJournalQueues();
    const r = runtime(journal);
    journal.mode = 'fail';
    const refused = await post(r, order('j-fail'));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.body.reason).toMatch(/retry with the same clientOrderId/);
    expect(await rowsFor('j-fail')).toBe(0);

    journal.mode = 'ok';
    expect((await post(r, order('j-fail'))).status).toBe(201);
    expect((await post(r, order('j-fail'))).status).toBe(200);
    expect(await rowsFor('j-fail')).toBe(1);
    expect(journal.messages('eu-west-1')).toHaveLength(1);
  });

  it('a journal write that never answers is cut at the timeout: 503, rolled back, no transaction left open', async () => {
    const journal = new FakeJournalQueues();
    journal.mode = 'hang';
    const refused = await post(runtime(journal), order('j-hang'));
    expect(refused.status).toBe(503);
    expect(await rowsFor('j-hang')).toBe(0);
    const open = await sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
      [DB_NAME],
    );
    expect(open[0].n).toBe(0);
  });

  it('delivered but unanswered: 503 and rolled back; the orphan in the journal shares the key of the retry', async () => {
    const journal = new FakeJournalQueues();
    const r = runtime(journal);
    journal.mode = 'deliver-then-fail';
    expect((await post(r, order('j-orphan'))).status).toBe(503);
    expect(await rowsFor('j-orphan')).toBe(0);
    journal.mode = 'ok';
    const retried = await post(r, order('j-orphan'));
    expect(retried.status).toBe(201);
    const keys = journal
      .bodies('eu-west-1')
      .map((b) => (b as { order: { clientOrderId: string } }).order.clientOrderId);
    expect(keys).toEqual(['j-orphan', 'j-orphan']);
    expect(await rowsFor('j-orphan')).toBe(1);
  });

  it('replays and conflicting reuses of a client order id journal nothing', async () => {
    const journal = new FakeJournalQueues();
    const r = runtime(journal);
    expect((await post(r, order('j-replay'))).status).toBe(201);
    expect((await post(r, order('j-replay'))).status).toBe(200);
    expect((await post(r, order('j-replay', { quantity: '7' }))).status).toBe(409);
    expect(journal.messages('eu-west-1')).toHaveLength(1);
  });
});

describe('the journal region is the writer’s peer, asked of the writer', () => {
  afterEach(() => sql('DROP FUNCTION IF EXISTS public.aurora_global_db_instance_status()'));

  // Aurora's function, as documented: one row per instance, the writer's session MASTER_SESSION_ID.
  const auroraReports = (writerRegion: string) =>
    sql(`CREATE OR REPLACE FUNCTION public.aurora_global_db_instance_status()
           RETURNS TABLE (server_id text, session_id text, aws_region text) LANGUAGE sql AS $$
             VALUES ('writer-1', 'MASTER_SESSION_ID', '${writerRegion}'),
                    ('reader-1', 'f2a3', '${writerRegion === 'us-east-1' ? 'eu-west-1' : 'us-east-1'}')
           $$`);

  it('an API in us-east-1 writing to a writer in eu-west-1 journals to us-east-1', async () => {
    await auroraReports('eu-west-1');
    const journal = new FakeJournalQueues();
    expect((await post(runtime(journal), order('j-remote-writer'))).status).toBe(201);
    expect(journal.attempts).toEqual(['us-east-1']);
    expect(journal.bodies('us-east-1')).toMatchObject([{ writerRegion: 'eu-west-1' }]);
  });

  it('a writer outside the pair is not journaled anywhere: 503, nothing stored', async () => {
    await auroraReports('ap-south-1');
    const journal = new FakeJournalQueues();
    expect((await post(runtime(journal), order('j-stray-writer'))).status).toBe(503);
    expect(journal.attempts).toEqual([]);
    expect(await rowsFor('j-stray-writer')).toBe(0);
  });
});

describe('the auditor recovers only into the global writer', () => {
  afterEach(() => sql('DROP FUNCTION IF EXISTS public.aurora_global_db_instance_status()'));

  it('a writable cluster that is not the global writer (detached, or an old primary on its own) gets nothing', async () => {
    const journal = new FakeJournalQueues();
    const writer = runtime(journal);
    const acknowledged = await post(writer, order('j-split'));
    await sql("DELETE FROM orders WHERE client_order_id = 'j-split'"); // lost in a failover
    const body = journal.messages('eu-west-1')[0].body;
    // This server plays eu-west-1's promoted cluster; the auditor runs in eu-west-1.
    const local = runtime(journal, { env: { REGION_NAME: 'eu-west-1', ORDER_DURABILITY: 'regional' } });
    await sql(`CREATE FUNCTION public.aurora_global_db_instance_status()
                 RETURNS TABLE (server_id text, session_id text, aws_region text) LANGUAGE sql
                 AS $$ VALUES ('writer-1', 'MASTER_SESSION_ID', 'us-east-1') $$`);
    const settings = { region: 'eu-west-1', orphanAfterSeconds: 300 };
    const refused = await auditJournalMessage(body, new Date(), { local: local.store }, settings);
    expect(refused).toMatchObject({
      outcome: 'waiting',
      reason: expect.stringMatching(/global writer is in us-east-1/),
    });
    expect(await rowsFor('j-split')).toBe(0);

    // Promoted for real: the global writer is here now; the same connections ask again.
    await sql('DROP FUNCTION public.aurora_global_db_instance_status()');
    const recovered = await auditJournalMessage(body, new Date(), { local: local.store }, settings);
    expect(recovered).toMatchObject({ outcome: 'recovered', stored: acknowledged.body });
  });
});

describe('a fenced peer region (after an unplanned failover) does not stop trading', () => {
  const fencedRegions = (...regions: string[]): PeerFence => ({ isFenced: async (r) => regions.includes(r) });

  it('journals when the fenced region answers (planned switchover); when it does not, acknowledges regionally and logs it', async () => {
    const journal = new FakeJournalQueues();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const r = createRuntime(
      requireEnv({ ...db.env, REGION_NAME: 'us-east-1', ORDER_DURABILITY: 'cross-region', JOURNAL_QUEUE_URLS: QUEUES }),
      {
        secrets: db.secrets.client,
        journalSender: journal,
        fence: fencedRegions('eu-west-1'),
        now: () => new Date(now),
      },
    );
    runtimes.push(r);
    const warn = jest.spyOn(r.deps.logger, 'warn');
    expect((await post(r, order('j-fenced-up'))).status).toBe(201);
    expect(journal.messages('eu-west-1')).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();

    journal.mode = 'fail';
    expect((await post(r, order('j-fenced-down'))).status).toBe(201);
    expect(warn).toHaveBeenCalledWith(
      'order acknowledged without cross-region journal',
      expect.objectContaining({ unjournaled: 1, clientOrderId: 'j-fenced-down' }),
    );
    // The dead region is not tried again for every order (no per-order timeout) until the retry.
    const tried = journal.attempts.length;
    now += FENCED_RETRY_MS - 1;
    expect((await post(r, order('j-fenced-skip'))).status).toBe(201);
    expect(journal.attempts).toHaveLength(tried);
    journal.mode = 'ok';
    now += 1;
    expect((await post(r, order('j-fenced-back'))).status).toBe(201);
    expect(journal.attempts).toHaveLength(tried + 1);
    expect(journal.messages('eu-west-1')).toHaveLength(2);
  });

  it('a fence on another region, or a fence record that cannot be read, keeps the journal mandatory', async () => {
    const journal = new FakeJournalQueues();
    journal.mode = 'fail';
    expect((await post(runtime(journal, { fence: fencedRegions('us-east-1') }), order('j-f1'))).status).toBe(503);
    const unreadable: PeerFence = {
      isFenced: async () => {
        throw new Error('DynamoDB unreachable');
      },
    };
    expect((await post(runtime(journal, { fence: unreadable }), order('j-f2'))).status).toBe(503);
    expect(await rowsFor('j-f1')).toBe(0);
    expect(await rowsFor('j-f2')).toBe(0);
  });
});

describe('regional durability (the opt-out) keeps today’s behaviour', () => {
  it('acknowledges without touching the journal', async () => {
    const journal = new FakeJournalQueues();
    journal.mode = 'fail';
    expect((await post(runtime(journal, { env: { ORDER_DURABILITY: 'regional' } }), order('j-reg'))).status).toBe(201);
    expect(journal.attempts).toEqual([]);
  });
});

describe('journal settings are checked at cold start', () => {
  const base = { JOURNAL_QUEUE_URLS: QUEUES };
  it.each([
    [{ ...base, ORDER_DURABILITY: 'eventual' }, /ORDER_DURABILITY must be cross-region or regional/],
    [{}, /JOURNAL_QUEUE_URLS is not set/],
    [{ JOURNAL_QUEUE_URLS: 'not json' }, /JSON object/],
    [{ JOURNAL_QUEUE_URLS: JSON.stringify({ 'us-east-1': JSON.parse(QUEUES)['us-east-1'] }) }, /exactly two/],
    [
      { JOURNAL_QUEUE_URLS: JSON.stringify({ ...JSON.parse(QUEUES), 'eu-west-1': JSON.parse(QUEUES)['us-east-1'] }) },
      /JOURNAL_QUEUE_URLS\["eu-west-1"\] must be an SQS queue URL in eu-west-1/,
    ],
    [{ ...base, JOURNAL_TIMEOUT_MS: '50' }, /JOURNAL_TIMEOUT_MS must be an integer from 100 to 3000/],
    [{ ...base, JOURNAL_TIMEOUT_MS: '1.5' }, /JOURNAL_TIMEOUT_MS/],
  ])('%j is rejected', (env, message) => {
    expect(() => journalConfigFromEnv(env as Record<string, string>)).toThrow(message);
  });

  it('defaults to cross-region with a 1 s budget; regional needs no queues', () => {
    expect(journalConfigFromEnv(base)).toMatchObject({ durability: 'cross-region', timeoutMs: 1000 });
    expect(journalConfigFromEnv({ ORDER_DURABILITY: 'regional' })).toEqual({ durability: 'regional', timeoutMs: 1000 });
  });

  it('the longest journal budget ends before the server would end the open transaction', () => {
    const idleInTransactionMs = boundedClientSettings(DB_WAIT_BOUNDS).idle_in_transaction_session_timeout;
    expect(JOURNAL_TIMEOUT_RANGE_MS[1]).toBeLessThan(idleInTransactionMs);
  });

  it('a runtime with cross-region durability and no queues refuses to start', () => {
    expect(() =>
      createRuntime(requireEnv({ ...db.env, ORDER_DURABILITY: 'cross-region' }), { secrets: db.secrets.client }),
    ).toThrow(/JOURNAL_QUEUE_URLS/);
  });
});

describe('journal messages', () => {
  const stored = {
    id: '6f1c1d2e-1111-4222-8333-944445555666',
    clientOrderId: 'c-1',
    symbol: 'AAPL',
    side: 'buy' as const,
    type: 'market' as const,
    quantity: '1.5',
    status: 'accepted' as const,
    region: 'us-east-1',
    createdAt: '2026-01-02T03:04:05.678Z',
  };
  const entry: JournalEntry = {
    kind: JOURNAL_ENTRY_KIND,
    writerRegion: 'us-east-1',
    journaledAt: stored.createdAt,
    clientId: 'desk-a',
    order: stored,
  };

  it('round-trip exactly', () => {
    expect(parseJournalEntry(encodeJournalEntry(entry))).toEqual({ ok: true, entry });
  });

  it.each([
    ['not JSON', '{'],
    ['another kind', JSON.stringify({ ...entry, kind: 'other' })],
    ['no order id', JSON.stringify({ ...entry, order: { ...stored, id: undefined } })],
    ['a negative quantity', JSON.stringify({ ...entry, order: { ...stored, quantity: '-1' } })],
    ['an unknown order field', JSON.stringify({ ...entry, order: { ...stored, account: 'x' } })],
  ])('reject %s', (_label, body) => {
    expect(parseJournalEntry(body).ok).toBe(false);
  });
});
