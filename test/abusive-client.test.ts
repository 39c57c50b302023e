/**
 * One abusive client does not raise another client's error rate (issue 25 item 5): the real
 * request path (`handleRequest`: signature, host, region, the shared request ledger's rate check,
 * routing) on two processes of one region sharing one ledger (a Lambda environment and an EC2
 * instance), a simulated clock, and two clients signing with the real client. Only the book
 * behind authentication is a stand-in: it knows no order, so a served read is a 404 and every
 * other answer is an error (refused: 401, 429, 503). The web ACL's own per-client rule (lib/security/web-acl.ts) acts before this and is
 * checked on the plan (test/compute.test.ts); AWS WAF cannot run here.
 */
import { ApiDeps, handleRequest } from '../lambda/trading/api';
import { createAuthenticator, DEFAULT_WINDOWS } from '../lambda/trading/auth';
import type { ClientRecord } from '../lambda/trading/client-keys';
import { MemoryLedgerStore, RequestLedger } from '../lambda/trading/request-ledger';
import { signedHeaders } from '../scripts/order-client';

const REGION = 'us-east-1';
const HOST = 'api.example.com';
const START = Date.parse('2026-12-01T00:00:00Z');
const LIMITS = { ratePerSecond: 5, burst: 10 };
/** A read the service served: the stand-in book knows no order. */
const SERVED = 404;
const CLIENTS = {
  'desk-a': { clientId: 'desk-a', key: 'a'.repeat(40) },
  'desk-b': { clientId: 'desk-b', key: 'b'.repeat(40) },
} as const;
type Client = keyof typeof CLIENTS;

interface Rates {
  readonly sent: number;
  readonly refused: number;
  readonly byStatus: Record<number, number>;
}

/**
 * `seconds` of traffic: each client sends `perSecond[client]` requests a second, evenly spaced,
 * alternating between the region's two processes; returns each client's answers.
 */
async function run(perSecond: Partial<Record<Client, number>>, seconds: number): Promise<Record<Client, Rates>> {
  let now = START;
  const ledger = new RequestLedger(new MemoryLedgerStore());
  const records: Record<string, ClientRecord> = Object.fromEntries(
    Object.values(CLIENTS).map((c) => [c.clientId, { keys: [{ id: 'k1', secret: c.key }], limits: LIMITS }]),
  );
  const process = (): ApiDeps => ({
    book: {
      accept: () => Promise.reject(new Error('not used')),
      get: async () => undefined,
      ready: async () => undefined as never,
    },
    authenticate: createAuthenticator({
      keyring: { lookup: async (id) => records[id] },
      settings: { ...DEFAULT_WINDOWS, region: REGION, hosts: [HOST] },
      ledger,
      now: () => now,
    }),
    region: REGION,
    role: 'primary',
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const fleet = [process(), process()];
  const events = Object.entries(perSecond).flatMap(([client, rate]) =>
    Array.from({ length: Math.round(rate! * seconds) }, (_, i) => ({
      client: client as Client,
      at: (i * 1000) / rate!,
    })),
  );
  events.sort((x, y) => x.at - y.at);
  const out = Object.fromEntries(
    (Object.keys(CLIENTS) as Client[]).map((c) => [c, { sent: 0, refused: 0, byStatus: {} as Record<number, number> }]),
  ) as Record<Client, { sent: number; refused: number; byStatus: Record<number, number> }>;
  for (const [i, event] of events.entries()) {
    now = START + Math.round(event.at);
    const path = `/orders/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const headers = signedHeaders(CLIENTS[event.client], { method: 'GET', host: HOST, path }, { now, region: REGION });
    const answer = await handleRequest({ method: 'GET', path, headers: { host: HOST, ...headers } }, fleet[i % 2]);
    const r = out[event.client];
    r.sent++;
    r.byStatus[answer.statusCode] = (r.byStatus[answer.statusCode] ?? 0) + 1;
    if (answer.statusCode !== SERVED) r.refused++;
  }
  return out;
}

const rate = (r: Rates) => (r.sent === 0 ? 0 : r.refused / r.sent);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

describe('an abusive client against the real request path of one region (two processes, one ledger)', () => {
  it('desk-a at 40x its limit: desk-b’s error rate stays what it is alone; desk-a is held to its limit fleet-wide', async () => {
    const seconds = 20;
    const alone = await run({ 'desk-b': 4 }, seconds);
    const abused = await run({ 'desk-a': 200, 'desk-b': 4 }, seconds);
    const rows = [
      ['desk-b alone', alone['desk-b']],
      ['desk-b beside desk-a', abused['desk-b']],
      ['desk-a (abusive)', abused['desk-a']],
    ] as const;
    console.log(
      [
        `${seconds} s simulated, limits ${LIMITS.ratePerSecond} req/s burst ${LIMITS.burst} per client, requests alternating between 2 processes`,
        '| client | sent | error rate | answers |',
        '| --- | ---: | ---: | --- |',
        ...rows.map(
          ([name, r]) =>
            `| ${name} | ${r.sent} | ${pct(rate(r))} | ${Object.entries(r.byStatus)
              .map(([s, n]) => `${s} x ${n}`)
              .join(', ')} |`,
        ),
      ].join('\n'),
    );
    expect(alone['desk-b'].sent).toBe(80);
    expect(rate(abused['desk-b'])).toBe(rate(alone['desk-b']));
    expect(rate(alone['desk-b'])).toBe(0);
    // Held to burst + rate x time across both processes (the ledger is shared), refused with 429.
    const accepted = abused['desk-a'].byStatus[SERVED] ?? 0;
    expect(accepted).toBeLessThanOrEqual(LIMITS.burst + LIMITS.ratePerSecond * seconds);
    expect(accepted).toBeGreaterThanOrEqual(LIMITS.ratePerSecond * seconds);
    expect(abused['desk-a'].byStatus[429]).toBe(abused['desk-a'].sent - accepted);
  });

  it('desk-a naming desk-b in x-tap-client (to spend desk-b’s WAF budget) is refused without touching desk-b', async () => {
    const ledger = new RequestLedger(new MemoryLedgerStore());
    const auth = createAuthenticator({
      keyring: {
        lookup: async (id) => ({ keys: [{ id: 'k1', secret: CLIENTS[id as Client].key }], limits: LIMITS }),
      },
      settings: { ...DEFAULT_WINDOWS, region: REGION, hosts: [HOST] },
      ledger,
      now: () => START,
    });
    const headers = signedHeaders(
      CLIENTS['desk-a'],
      { method: 'GET', host: HOST, path: '/orders/x' },
      { now: START, region: REGION },
    );
    const forged = await auth({
      method: 'GET',
      path: '/orders/x',
      headers: { host: HOST, ...headers, 'x-tap-client': 'desk-b' },
    });
    expect(forged).toMatchObject({ ok: false, statusCode: 401 });
  });
});
