/**
 * The journal's and the auditor's decisions without a database: the insert transaction, the
 * stores and the queues are fakes, so each rule (which region, when to fail the order, when a
 * fenced peer is skipped, what the auditor does with each message) is checked at its edges.
 * The same paths against PostgreSQL 14 are in journal.test.ts and journal-auditor.test.ts.
 */
import {
  createOrderJournal,
  encodeJournalEntry,
  FENCED_RETRY_MS,
  JOURNAL_ENTRY_KIND,
  JournalEntry,
  journalConfigFromEnv,
  JournalSender,
  JournalWriteError,
  parseJournalEntry,
  peerRegion,
  queryWriterRegion,
  TxQueryable,
  writerRegionOf,
} from '../../lambda/shared/journal';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { dynamoPeerFence, sqsJournalSender } from '../../lambda/shared/journal-sqs';
import { auditJournalMessage, AuditStores } from '../../lambda/journal-auditor/audit';
import { AUDIT_METRICS } from '../../lambda/facts/metrics';
import { auditRecord, StillUnconfirmed } from '../../lambda/journal-auditor/auditor';
import type { Order } from '../../lambda/trading/order';

const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const ORDER: Order = {
  id: '6f1c1d2e-1111-4222-8333-944445555666',
  clientOrderId: 'c-1',
  symbol: 'AAPL',
  side: 'buy',
  type: 'market',
  quantity: '1.5',
  status: 'accepted',
  region: 'us-east-1',
  createdAt: '2026-01-02T03:04:05.678Z',
};

/** A transaction on a plain PostgreSQL (no Aurora status function), or on an Aurora writer in `auroraRegion`. */
function fakeTx(auroraWriters?: string[]): TxQueryable & { texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    async query<R>(text: string) {
      texts.push(text);
      if (text.includes('pg_proc')) return { rows: (auroraWriters ? [{ schema: 'aurora' }] : []) as R[] };
      return { rows: (auroraWriters ?? []).map((aws_region) => ({ aws_region })) as R[] };
    },
  };
}

interface Logged {
  level: 'warn' | 'error';
  message: string;
  extra: unknown;
}

function journalWith(sender: JournalSender, options: { fenced?: string[] | Error; now?: () => Date } = {}) {
  const logged: Logged[] = [];
  const journal = createOrderJournal(
    { regions: REGIONS, localRegion: 'us-east-1', timeoutMs: 50 },
    {
      sender,
      fence:
        options.fenced === undefined
          ? undefined
          : {
              isFenced: async (region) => {
                if (options.fenced instanceof Error) throw options.fenced;
                return options.fenced!.includes(region);
              },
            },
      logger: {
        warn: (...args: unknown[]) => void logged.push({ level: 'warn', message: args[0] as string, extra: args[1] }),
        error: (...args: unknown[]) => void logged.push({ level: 'error', message: args[0] as string, extra: args[1] }),
      },
      now: options.now,
    },
  );
  return { journal, logged };
}

const sent: { region: string; body: string; aborted: () => boolean }[] = [];
const okSender: JournalSender = {
  send: async (region, body, signal) => void sent.push({ region, body, aborted: () => signal.aborted }),
};
const failingSender: JournalSender = {
  send: async () => {
    throw new Error('SQS down');
  },
};
const hangingSender: JournalSender = {
  send: (region, body, signal) => {
    sent.push({ region, body, aborted: () => signal.aborted });
    return new Promise(() => undefined);
  },
};

beforeEach(() => {
  sent.length = 0;
});

describe('which region journals an order', () => {
  it('the peer of the writer, whichever member it is; a region outside the pair is refused', () => {
    expect(peerRegion(REGIONS, 'us-east-1')).toBe('eu-west-1');
    expect(peerRegion(REGIONS, 'eu-west-1')).toBe('us-east-1');
    expect(() => peerRegion(REGIONS, 'us-west-2')).toThrow(
      new JournalWriteError('writer region us-west-2 is neither us-east-1 nor eu-west-1'),
    );
  });

  it('asks Aurora for the writer session, in the schema where the status function lives', async () => {
    const tx = fakeTx(['eu-west-1']);
    expect(await queryWriterRegion(tx, 'us-east-1')).toBe('eu-west-1');
    expect(tx.texts[1]).toBe(
      "SELECT aws_region FROM aurora.aurora_global_db_instance_status() WHERE session_id = 'MASTER_SESSION_ID'",
    );
    expect(tx.texts[0]).toMatch(/WHERE p\.proname = 'aurora_global_db_instance_status'/);
  });

  it('a plain PostgreSQL is in the local region; zero or two writers is refused', async () => {
    expect(await queryWriterRegion(fakeTx(), 'us-east-1')).toBe('us-east-1');
    await expect(queryWriterRegion(fakeTx([]), 'us-east-1')).rejects.toThrow(
      new JournalWriteError('the database reports 0 writers'),
    );
    await expect(queryWriterRegion(fakeTx(['us-east-1', 'eu-west-1']), 'us-east-1')).rejects.toThrow(
      'the database reports 2 writers',
    );
  });

  it('is asked once per connection', async () => {
    const tx = fakeTx(['eu-west-1']);
    expect(await writerRegionOf(tx, 'us-east-1')).toBe('eu-west-1');
    expect(await writerRegionOf(tx, 'us-east-1')).toBe('eu-west-1');
    expect(tx.texts).toHaveLength(2);
    expect(await writerRegionOf(fakeTx(), 'eu-west-1')).toBe('eu-west-1');
  });
});

describe('recording an order', () => {
  const at = new Date('2026-01-02T03:04:06.000Z');

  it('sends the stored order, its owner and the writer to the peer region', async () => {
    const { journal, logged } = journalWith(okSender, { now: () => at });
    expect(await journal.record('desk-a', ORDER, fakeTx(['eu-west-1']))).toBe('journaled');
    expect(sent.map((s) => [s.region, JSON.parse(s.body)])).toEqual([
      [
        'us-east-1',
        {
          kind: JOURNAL_ENTRY_KIND,
          writerRegion: 'eu-west-1',
          journaledAt: '2026-01-02T03:04:06.000Z',
          clientId: 'desk-a',
          order: ORDER,
        },
      ],
    ]);
    expect(sent[0].aborted()).toBe(false);
    expect(logged).toEqual([]);
  });

  it('a write that answered in time is never aborted afterwards (its deadline is cleared)', async () => {
    jest.useFakeTimers();
    try {
      const { journal } = journalWith(okSender);
      expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('journaled');
      jest.advanceTimersByTime(60_000);
      expect(sent[0].aborted()).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a failed write fails the order with the region and the cause, logged and counted', async () => {
    const { journal, logged } = journalWith(failingSender);
    const error = await journal.record('desk-a', ORDER, fakeTx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalWriteError);
    expect((error as JournalWriteError).name).toBe('JournalWriteError');
    expect((error as JournalWriteError).message).toBe(
      'order journal in eu-west-1 did not take the order: Error: SQS down',
    );
    expect((error as JournalWriteError).cause).toEqual(new Error('SQS down'));
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'order journal write failed',
        extra: {
          journalFailure: 1,
          journalRegion: 'eu-west-1',
          clientId: 'desk-a',
          clientOrderId: 'c-1',
          error: 'Error: SQS down',
        },
      },
    ]);
  });

  it('a write that never answers is cut at the budget, and its signal is aborted', async () => {
    const { journal } = journalWith(hangingSender);
    await expect(journal.record('desk-a', ORDER, fakeTx())).rejects.toThrow(
      'order journal in eu-west-1 did not take the order: Error: timed out after 50 ms',
    );
    expect(sent[0].aborted()).toBe(true);
  });

  it('an unreadable fence keeps the journal mandatory, and says so', async () => {
    const { journal, logged } = journalWith(failingSender, { fenced: new Error('AccessDenied') });
    await expect(journal.record('desk-a', ORDER, fakeTx())).rejects.toThrow(JournalWriteError);
    expect(logged[0]).toEqual({
      level: 'warn',
      message: 'fence record unreadable; journaling as usual',
      extra: { region: 'eu-west-1', error: 'Error: AccessDenied' },
    });
  });

  it('a fence on the writer’s own region does not excuse the peer', async () => {
    const { journal } = journalWith(failingSender, { fenced: ['us-east-1'] });
    await expect(journal.record('desk-a', ORDER, fakeTx())).rejects.toThrow(JournalWriteError);
  });

  it('a fenced peer that does not answer: acknowledged regionally, then skipped for exactly FENCED_RETRY_MS', async () => {
    let t = 1_000_000;
    let down = true;
    const attempts: string[] = [];
    const sender: JournalSender = {
      send: async (region) => {
        attempts.push(region);
        if (down) throw new Error('SQS down');
      },
    };
    const { journal, logged } = journalWith(sender, { fenced: ['eu-west-1'], now: () => new Date(t) });
    expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('unjournaled');
    expect(logged).toEqual([
      {
        level: 'warn',
        message: 'order acknowledged without cross-region journal',
        extra: {
          unjournaled: 1,
          reason: 'journal region eu-west-1 is fenced and did not answer: Error: SQS down',
          clientId: 'desk-a',
          clientOrderId: 'c-1',
          orderId: ORDER.id,
        },
      },
    ]);
    t += FENCED_RETRY_MS - 1;
    expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('unjournaled');
    expect(attempts).toHaveLength(1);
    expect((logged[1].extra as { reason: string }).reason).toBe(
      'journal region eu-west-1 is fenced and did not answer recently',
    );
    t += 1;
    down = false;
    expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('journaled');
    expect(attempts).toHaveLength(2);
    // A success clears the skip: the next failure is tried again at once.
    down = true;
    expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('unjournaled');
    expect(attempts).toHaveLength(3);
  });

  it('a success clears the skip: fenced again soon after, the peer is tried at once', async () => {
    const t = 1_000_000;
    let down = true;
    const fenced = ['eu-west-1'];
    const attempts: string[] = [];
    const sender: JournalSender = {
      send: async (region) => {
        attempts.push(region);
        if (down) throw new Error('SQS down');
      },
    };
    const { journal } = journalWith(sender, { fenced, now: () => new Date(t) });
    expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('unjournaled');
    fenced.length = 0; // failback: the journal is mandatory again, and answers
    down = false;
    expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('journaled');
    fenced.push('eu-west-1'); // fenced again within FENCED_RETRY_MS of the old failure
    down = true;
    expect(await journal.record('desk-a', ORDER, fakeTx())).toBe('unjournaled');
    expect(attempts).toHaveLength(3);
  });
});

/** The journal entry a us-east-1 writer sends for ORDER. */
const entry: JournalEntry = {
  kind: JOURNAL_ENTRY_KIND,
  writerRegion: 'us-east-1',
  journaledAt: ORDER.createdAt,
  clientId: 'desk-a',
  order: ORDER,
};

describe('journal messages, field by field', () => {
  const body = (over: Record<string, unknown>, order: Record<string, unknown> = {}) =>
    JSON.stringify({ ...entry, ...over, order: { ...ORDER, ...order } });
  const error = (b: string) => {
    const parsed = parseJournalEntry(b);
    return parsed.ok ? undefined : parsed.error;
  };

  it('explains each refusal', () => {
    expect(error('{')).toBe('not JSON');
    expect(error(body({ kind: 'other' }))).toMatch(/^Invalid input: expected "tap.order-journal.v1"/);
    expect(error(body({ writerRegion: '' }))).toBeDefined();
    expect(error(body({ journaledAt: 'yesterday' }))).toBeDefined();
    expect(error(body({ journaledAt: '2026-01-02T03:04:05+01:00' }))).toBeUndefined();
    expect(error(body({ clientId: '' }))).toBeDefined();
    expect(error(body({ clientId: 'x'.repeat(128) }))).toBeUndefined();
    expect(error(body({ clientId: 'x'.repeat(129) }))).toBeDefined();
    expect(error(body({}, { id: 'not-a-uuid' }))).toMatch(/^not a stored order: /);
    expect(error(body({}, { status: 'filled' }))).toMatch(/^not a stored order: /);
    // Orders are only ever live (the queue path and its expiry are gone).
    expect(error(body({}, { status: 'expired' }))).toMatch(/^not a stored order: /);
    expect(error(body({}, { region: '' }))?.split('; ')).toHaveLength(1);
    expect(error(body({}, { region: '' }))).toMatch(/^not a stored order: /);
    expect(error(body({}, { createdAt: '2026-01-02' }))).toMatch(/^not a stored order: /);
    expect(error(body({}, { createdAt: '2026-01-02T03:04:05.678+02:00' }))).toBeUndefined();
    expect(error(body({}, { side: 'hold', quantity: '-1' }))).toMatch(
      /^not a stored order: side must be buy or sell; quantity must be a positive decimal/,
    );
    expect(error(body({}, { id: 'x', side: 'hold' }))).toMatch(/^not a stored order: .+; side must be buy or sell$/);
  });

  it('two envelope problems are listed together', () => {
    expect(error(JSON.stringify({ ...entry, writerRegion: '', clientId: '' }))?.split('; ')).toHaveLength(2);
  });
});

describe('journal settings, at their limits', () => {
  const QUEUES = {
    'us-east-1': 'https://sqs.us-east-1.amazonaws.com/123456789012/sqs-journal-use1-test',
    'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-euw1-test',
  };
  const env = (over: Record<string, string | undefined> = {}) => ({
    JOURNAL_QUEUE_URLS: JSON.stringify(QUEUES),
    ...over,
  });

  it('the budget is an integer from 100 to 3000 ms', () => {
    expect(journalConfigFromEnv(env({ JOURNAL_TIMEOUT_MS: '100' })).timeoutMs).toBe(100);
    expect(journalConfigFromEnv(env({ JOURNAL_TIMEOUT_MS: '3000' })).timeoutMs).toBe(3000);
    expect(() => journalConfigFromEnv(env({ JOURNAL_TIMEOUT_MS: '99' }))).toThrow(
      'JOURNAL_TIMEOUT_MS must be an integer from 100 to 3000, got "99"',
    );
    expect(() => journalConfigFromEnv(env({ JOURNAL_TIMEOUT_MS: '3001' }))).toThrow('got "3001"');
    expect(() => journalConfigFromEnv({ ORDER_DURABILITY: 'regional', JOURNAL_TIMEOUT_MS: '1.5' })).toThrow(
      'JOURNAL_TIMEOUT_MS must be an integer',
    );
  });

  it('cross-region keeps both queue URLs', () => {
    expect(journalConfigFromEnv(env({ ORDER_DURABILITY: 'cross-region' }))).toEqual({
      durability: 'cross-region',
      timeoutMs: 1000,
      queueUrls: QUEUES,
    });
  });

  it.each([
    ['missing', undefined, /^ORDER_DURABILITY is cross-region \(the default\) but JOURNAL_QUEUE_URLS is not set; set/],
    ['empty', '', /JOURNAL_QUEUE_URLS is not set/],
    ['not JSON', '{', /^JOURNAL_QUEUE_URLS must be a JSON object of region to SQS queue URL$/],
    ['JSON null', 'null', /^JOURNAL_QUEUE_URLS must name exactly two regions$/],
    ['a string', '"ab"', /^JOURNAL_QUEUE_URLS must name exactly two regions$/],
    ['three regions', JSON.stringify({ ...QUEUES, 'us-west-2': 'x' }), /exactly two regions/],
    [
      'a non-string URL',
      JSON.stringify({ ...QUEUES, 'eu-west-1': 7 }),
      /^JOURNAL_QUEUE_URLS\["eu-west-1"\] must be an SQS queue URL in eu-west-1, got "7"$/,
    ],
    [
      'a URL with a suffix',
      JSON.stringify({ ...QUEUES, 'eu-west-1': `${QUEUES['eu-west-1']}/x` }),
      /JOURNAL_QUEUE_URLS\["eu-west-1"\]/,
    ],
    [
      'a URL with a prefix',
      JSON.stringify({ ...QUEUES, 'eu-west-1': `x${QUEUES['eu-west-1']}` }),
      /JOURNAL_QUEUE_URLS\["eu-west-1"\]/,
    ],
    [
      'a short account id',
      JSON.stringify({ ...QUEUES, 'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/12345678901/q' }),
      /JOURNAL_QUEUE_URLS\["eu-west-1"\]/,
    ],
  ])('JOURNAL_QUEUE_URLS %s is refused', (_label, value, message) => {
    expect(() => journalConfigFromEnv({ JOURNAL_QUEUE_URLS: value })).toThrow(message);
  });

  it('regional durability needs no queues, and keeps its budget', () => {
    expect(journalConfigFromEnv({ ORDER_DURABILITY: 'regional', JOURNAL_TIMEOUT_MS: '250' })).toEqual({
      durability: 'regional',
      timeoutMs: 250,
    });
  });

  it('each URL must be a string naming its own region', () => {
    expect(() =>
      journalConfigFromEnv({ JOURNAL_QUEUE_URLS: JSON.stringify({ ...QUEUES, 'eu-west-1': QUEUES['us-east-1'] }) }),
    ).toThrow(`JOURNAL_QUEUE_URLS["eu-west-1"] must be an SQS queue URL in eu-west-1, got "${QUEUES['us-east-1']}"`);
    // An array holding a valid URL would pass a check that coerced it to a string.
    expect(() =>
      journalConfigFromEnv({ JOURNAL_QUEUE_URLS: JSON.stringify({ ...QUEUES, 'eu-west-1': [QUEUES['eu-west-1']] }) }),
    ).toThrow('JOURNAL_QUEUE_URLS["eu-west-1"] must be an SQS queue URL in eu-west-1');
  });

  it('names the durability it got', () => {
    expect(() => journalConfigFromEnv(env({ ORDER_DURABILITY: 'eventual' }))).toThrow(
      'ORDER_DURABILITY must be cross-region or regional, got "eventual"',
    );
  });
});

describe('SQS sender', () => {
  it('refuses a region without a queue before making a client', async () => {
    const made: string[] = [];
    const sender = sqsJournalSender({ 'eu-west-1': 'https://q' }, 100, (region) => {
      made.push(region);
      throw new Error('unexpected');
    });
    await expect(sender.send('us-west-2', 'b', new AbortController().signal)).rejects.toThrow(
      'no journal queue for us-west-2',
    );
    expect(made).toEqual([]);
  });

  it('its default client is one per region, retrying once', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    try {
      const sender = sqsJournalSender({ 'eu-west-1': 'https://q1', 'us-east-1': 'https://q2' }, 123);
      const signal = new AbortController().signal;
      await sender.send('eu-west-1', 'a', signal);
      await sender.send('eu-west-1', 'b', signal);
      await sender.send('us-east-1', 'c', signal);
      const clients = sqs.commandCalls(SendMessageCommand).map((c) => c.thisValue as SQSClient);
      expect(clients[0]).toBe(clients[1]);
      expect(await Promise.all(clients.map((c) => c.config.region()))).toEqual(['eu-west-1', 'eu-west-1', 'us-east-1']);
      expect(await clients[0].config.maxAttempts()).toBe(2);
    } finally {
      sqs.restore();
    }
  });
});

describe('the auditor without a database', () => {
  const now = new Date('2026-01-02T03:14:05.678Z'); // 600 s after the entry was journaled
  const body = encodeJournalEntry(entry);
  const settings = { region: 'eu-west-1', orphanAfterSeconds: 600 };

  interface World {
    local?: Order;
    writable?: boolean | Error;
    globalWriter?: string;
    restored?: { order: Order; created: boolean };
    writer?: { writable: boolean | Error; has: boolean };
    findError?: Error;
  }
  function stores(w: World): AuditStores & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      local: {
        findByClientOrderId: async (clientId, key, endpoint) => {
          calls.push(`local.find ${clientId} ${key} ${endpoint}`);
          if (w.findError) throw w.findError;
          return w.local;
        },
        probe: async (endpoint) => {
          calls.push(`local.probe ${endpoint}`);
          if (w.writable instanceof Error) throw w.writable;
          return w.writable ? 'writable' : 'read-only';
        },
        globalWriterRegion: async () => w.globalWriter ?? 'eu-west-1',
        restore: async (clientId, order) => {
          calls.push(`local.restore ${clientId} ${order.clientOrderId}`);
          return w.restored ?? { order, created: true };
        },
      },
      writer: w.writer && {
        findByClientOrderId: async (clientId, key) => {
          calls.push(`writer.find ${clientId} ${key}`);
          return w.writer!.has ? ORDER : undefined;
        },
        probe: async (endpoint) => {
          calls.push(`writer.probe ${endpoint}`);
          if (w.writer!.writable instanceof Error) throw w.writer!.writable;
          return w.writer!.writable ? 'writable' : 'read-only';
        },
      },
    };
  }
  const audit = (w: World, at = now, s = settings) => auditJournalMessage(body, new Date(0), stores(w), s, at);
  const other: Order = { ...ORDER, quantity: '2' };

  it('confirms an order found on the local reader', async () => {
    const s = stores({ local: ORDER });
    expect(await auditJournalMessage(body, new Date(0), s, settings, now)).toEqual({
      outcome: 'confirmed',
      reason: 'replicated to this region',
      ageSeconds: 600,
      entry,
      stored: ORDER,
    });
    expect(s.calls).toEqual(['local.find desk-a c-1 reader']);
  });

  it('parks a different order under the same key, and an unparseable message with its SQS age', async () => {
    expect(await audit({ local: other })).toMatchObject({
      outcome: 'parked',
      reason: 'a different order is stored under the same client order id',
      stored: other,
    });
    expect(await auditJournalMessage('{', new Date(now.getTime() - 42_000), stores({}), settings, now)).toEqual({
      outcome: 'parked',
      reason: 'not a journal entry: not JSON',
      ageSeconds: 42,
    });
  });

  it('recovers into the local cluster only when it is writable and the global writer', async () => {
    expect(await audit({ writable: true })).toMatchObject({
      outcome: 'recovered',
      reason: 'missing after promotion: applied from the journal',
      stored: ORDER,
    });
    expect(await audit({ writable: true, restored: { order: ORDER, created: false } })).toMatchObject({
      outcome: 'confirmed',
      reason: 'stored meanwhile (drain or client retry)',
    });
    expect(await audit({ writable: true, restored: { order: other, created: true } })).toMatchObject({
      outcome: 'parked',
    });
    const detached = stores({ writable: true, globalWriter: 'us-east-1' });
    expect(await auditJournalMessage(body, new Date(0), detached, settings, now)).toMatchObject({
      outcome: 'waiting',
      reason: 'local cluster is writable but the global writer is in us-east-1',
    });
    expect(detached.calls).not.toContainEqual(expect.stringMatching(/restore/));
  });

  it('a refused cluster endpoint is read-only; a young message waits without asking the writer', async () => {
    const s = stores({ writable: new Error('ECONNREFUSED'), writer: { writable: true, has: false } });
    expect(await auditJournalMessage(body, new Date(0), s, settings, new Date(now.getTime() - 1))).toMatchObject({
      outcome: 'waiting',
      reason: 'not replicated to this region yet',
      ageSeconds: 599.999,
    });
    expect(s.calls).toEqual(['local.find desk-a c-1 reader', 'local.probe writer']);
  });

  it('an old message with no writer configured keeps waiting', async () => {
    expect(await audit({})).toMatchObject({ outcome: 'waiting', reason: 'not replicated to this region yet' });
  });

  it('an old message is voided exactly at the orphan age, only when a writable writer lacks it', async () => {
    const s = stores({ writer: { writable: true, has: false } });
    expect(await auditJournalMessage(body, new Date(0), s, settings, now)).toMatchObject({
      outcome: 'voided',
      reason: 'on neither cluster: the writer rolled it back after journaling (never acknowledged)',
    });
    expect(s.calls).toEqual([
      'local.find desk-a c-1 reader',
      'local.probe writer',
      'writer.probe writer',
      'writer.find desk-a c-1',
    ]);
    expect(await audit({ writer: { writable: true, has: true } })).toMatchObject({
      outcome: 'waiting',
      reason: 'on the writer, not replicated here yet',
    });
    expect(await audit({ writer: { writable: false, has: false } })).toMatchObject({
      outcome: 'waiting',
      reason: 'no writer reachable to rule out an orphan',
    });
    expect(await audit({ writer: { writable: new Error('ETIMEDOUT'), has: false } })).toMatchObject({
      outcome: 'waiting',
      reason: 'writer unreachable: Error: ETIMEDOUT',
    });
  });

  it('a database error keeps the message, naming its kind', async () => {
    expect(await audit({ findError: Object.assign(new Error('read-only'), { code: '25006' }) })).toMatchObject({
      outcome: 'waiting',
      reason: 'database unavailable (read-only): Error: read-only',
    });
  });

  it('an entry from the future is 0 s old', async () => {
    expect((await audit({ local: ORDER }, new Date(0))).ageSeconds).toBe(0);
  });
});

describe('the auditor, per SQS record', () => {
  const now = new Date(Date.parse(ORDER.createdAt) + 12_600);
  const record = (body = encodeJournalEntry(entry)) => ({
    messageId: 'm-1',
    body,
    attributes: { SentTimestamp: String(Date.parse(ORDER.createdAt) + 400) } as never,
  });
  function deps(local: Order | undefined, writable = false) {
    const logged: [string, string, unknown][] = [];
    const metrics: [string, string, number][] = [];
    const parked: [string, string][] = [];
    const log =
      (level: string) =>
      (...args: unknown[]) =>
        void logged.push([level, args[0] as string, args[1]]);
    return {
      logged,
      metrics,
      parked,
      deps: {
        stores: {
          local: {
            findByClientOrderId: async () => local,
            probe: async () => (writable ? ('writable' as const) : ('read-only' as const)),
            globalWriterRegion: async () => 'eu-west-1',
            restore: async (_c: string, order: Order) => ({ order, created: true }),
          },
        },
        settings: { region: 'eu-west-1', orphanAfterSeconds: 300 },
        logger: { info: log('info'), warn: log('warn'), error: log('error') },
        metrics: {
          addMetric: (name: string, unit: unknown, value: number) => (
            metrics.push([name, String(unit), value]),
            undefined as never
          ),
        },
        park: async (body: string, reason: string) => void parked.push([body, reason]),
        now: () => now,
      },
    };
  }
  const context = (outcome: string, reason: string) => ({
    messageId: 'm-1',
    outcome,
    reason,
    ageSeconds: 13,
    clientId: 'desk-a',
    clientOrderId: 'c-1',
    orderId: ORDER.id,
    writerRegion: 'us-east-1',
  });

  it('a confirmed message is done, counted, not logged', async () => {
    const d = deps(ORDER);
    expect((await auditRecord(record(), d.deps)).outcome).toBe('confirmed');
    expect(d.metrics).toEqual([[AUDIT_METRICS.confirmed, 'Count', 1]]);
    expect(d.logged).toEqual([]);
  });

  it('without an injected clock, audits at the current time', async () => {
    const d = deps(ORDER);
    const { now: _now, ...withoutClock } = d.deps;
    const verdict = await auditRecord(record(), withoutClock);
    expect(verdict.outcome).toBe('confirmed');
    expect(verdict.ageSeconds).toBeGreaterThan(12.6);
  });

  it('a recovered order is a warning with its context', async () => {
    const d = deps(undefined, true);
    expect((await auditRecord(record(), d.deps)).outcome).toBe('recovered');
    expect(d.metrics).toEqual([['JournalRecovered', 'Count', 1]]);
    expect(d.logged).toEqual([
      [
        'warn',
        'journaled order recovered: it was missing from the promoted writer',
        context('recovered', 'missing after promotion: applied from the journal'),
      ],
    ]);
  });

  it('a waiting message is thrown back with its age as a metric', async () => {
    const d = deps(undefined);
    const error = await auditRecord(record(), d.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StillUnconfirmed);
    expect((error as StillUnconfirmed).message).toBe('not replicated to this region yet');
    expect((error as StillUnconfirmed).name).toBe('StillUnconfirmed');
    expect(d.metrics).toEqual([
      ['JournalWaiting', 'Count', 1],
      ['JournalUnreplicatedAgeSeconds', 'Seconds', 12.6],
    ]);
    expect(d.logged).toEqual([
      ['info', 'journaled order not confirmed yet', context('waiting', 'not replicated to this region yet')],
    ]);
  });

  it('a message that is not an entry is parked for an operator, aged from when SQS took it', async () => {
    const d = deps(undefined);
    expect((await auditRecord(record('{'), d.deps)).outcome).toBe('parked');
    expect(d.parked).toEqual([['{', 'not a journal entry: not JSON']]);
    expect(d.metrics).toEqual([['JournalParked', 'Count', 1]]);
    expect(d.logged).toEqual([
      [
        'error',
        'journal entry parked for an operator',
        {
          messageId: 'm-1',
          outcome: 'parked',
          reason: 'not a journal entry: not JSON',
          ageSeconds: 12,
          clientId: undefined,
          clientOrderId: undefined,
          orderId: undefined,
          writerRegion: undefined,
          stored: undefined,
        },
      ],
    ]);
  });

  it('a voided entry is a warning', async () => {
    const d = deps(undefined);
    const voiding = {
      ...d.deps,
      now: () => new Date(Date.parse(ORDER.createdAt) + 300_000),
      stores: {
        ...d.deps.stores,
        writer: { findByClientOrderId: async () => undefined, probe: async () => 'writable' as const },
      },
    };
    expect((await auditRecord(record(), voiding)).outcome).toBe('voided');
    expect(d.metrics).toEqual([['JournalVoided', 'Count', 1]]);
    expect(d.logged.map(([level, message]) => [level, message])).toEqual([
      ['warn', 'journal entry voided: the order was never committed'],
    ]);
  });
});

describe('AWS adapters (moved from journal.test.ts: they need no database)', () => {
  it('the SQS sender uses a client of the target region and that region’s queue, with the abort signal', async () => {
    const urls: Record<string, string> = {
      'us-east-1': 'https://sqs.us-east-1.amazonaws.com/123456789012/sqs-journal-use1-test',
      'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-euw1-test',
    };
    const made: string[] = [];
    const clients: SQSClient[] = [];
    const sender = sqsJournalSender(urls, 500, (region) => {
      made.push(region);
      const client = new SQSClient({ region });
      clients.push(client);
      return client;
    });
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const controller = new AbortController();
    await sender.send('eu-west-1', 'a', controller.signal);
    await sender.send('eu-west-1', 'b', controller.signal);
    await sender.send('us-east-1', 'c', controller.signal);
    expect(made).toEqual(['eu-west-1', 'us-east-1']);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: urls['eu-west-1'], MessageBody: 'a' },
      { QueueUrl: urls['eu-west-1'], MessageBody: 'b' },
      { QueueUrl: urls['us-east-1'], MessageBody: 'c' },
    ]);
    expect((sqs.commandCalls(SendMessageCommand)[0].args as unknown[])[1]).toEqual({ abortSignal: controller.signal });
    sqs.restore();
  });

  it('the fenced regions are the ones the orchestrator’s fence record dialled to 0, read at most once per TTL', async () => {
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const mock = mockClient(dynamo);
    mock.on(GetCommand).resolves({
      Item: {
        pk: 'fence#gdb-test',
        sk: 'fence',
        fencedAt: 1,
        reason: 'primary down',
        changes: [
          { endpointGroupArn: 'arn:eg-euw1', region: 'eu-west-1', before: 0, after: 100 },
          { endpointGroupArn: 'arn:eg-use1', region: 'us-east-1', before: 100, after: 0 },
        ],
      },
    });
    let now = 1_000_000;
    const fence = dynamoPeerFence(dynamo, 'ddb-orchestrator-test', 'gdb-test', 5000, () => now);
    expect(await fence.isFenced('us-east-1')).toBe(true);
    expect(await fence.isFenced('eu-west-1')).toBe(false);
    now = 1_004_999;
    expect(await fence.isFenced('us-east-1')).toBe(true);
    expect(mock.commandCalls(GetCommand)).toHaveLength(1);
    expect(mock.commandCalls(GetCommand)[0].args[0].input).toEqual({
      TableName: 'ddb-orchestrator-test',
      Key: { pk: 'fence#gdb-test', sk: 'fence' },
      ConsistentRead: true,
    });
    mock.on(GetCommand).resolves({}); // failback: the record is deleted
    now = 1_005_000;
    expect(await fence.isFenced('us-east-1')).toBe(false);
    mock.restore();
  });
});
