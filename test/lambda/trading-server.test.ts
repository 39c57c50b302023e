/**
 * The EC2 service (lambda/trading/server.ts) as the internet reaches it: raw bytes on a TCP
 * socket, over the live order book (the two-replica emulator, whose paths can be frozen). The
 * service runs in a child process, so a request that kills it is seen as what it is: the process
 * exiting.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { parse } from 'yaml';
import { HEALTH_DEADLINE_MS } from '../../lambda/facts/order-api';
import { handleRequest, REQUEST_DEADLINE_MS } from '../../lambda/trading/api';
import { fromAlbEvent } from '../../lambda/trading/handler';
import { authorization, OrderClient } from '../../scripts/order-client';
import { CLIENTS, LOCAL_REGION } from '../../scripts/local/trading-db';
import { type BookApi, startBookApi } from '../helpers/book-api';

const ROOT = path.join(__dirname, '../..');

/** The ALB health check timeout, from the stack's defaults: what "in time" means for health. */
const defaults = parse(fs.readFileSync(path.join(ROOT, 'Pulumi.yaml'), 'utf8')).config;
const ALB_HEALTH_TIMEOUT_MS = defaults.albHealthCheckTimeoutSeconds.default * 1000;

interface Service {
  readonly port: number;
  readonly logs: Record<string, unknown>[];
  stderr(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/helpers/trading-server-process.ts')],
    { cwd: ROOT, env: { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: 'INFO' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  // Powertools writes INFO to stdout and WARN/ERROR to stderr, one JSON object a line.
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop()!;
      complete.forEach(onLine);
    });
  };
  const collect = (line: string) => line.startsWith('{') && logs.push(JSON.parse(line));
  lines(child.stderr!, (line) => {
    stderr += `${line}\n`;
    collect(line);
  });
  const port = await new Promise<number>((resolve, reject) => {
    lines(child.stdout!, (line) => {
      const listening = /^listening (\d+)$/.exec(line);
      if (listening) resolve(Number(listening[1]));
      else collect(line);
    });
    child.once('exit', (code) => reject(new Error(`service exited (${code}): ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    logs,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      child.kill();
      await exited;
    },
  };
}

interface Answer {
  /** Status of the first final (non-1xx) response; undefined when the connection closed without one. */
  readonly status?: number;
  readonly headers: Record<string, string>;
  readonly raw: string;
}

function parseAnswer(raw: string): Answer {
  for (const head of raw.split(/\r\n\r\n/)) {
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(head);
    if (!status) break;
    if (status[1].startsWith('1')) continue;
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status: Number(status[1]), headers, raw };
  }
  return { headers: {}, raw };
}

/**
 * Write the bytes and read whatever comes back until the service closes the connection. With
 * `halfClose` the client also closes its side after writing, as a client that gives up does
 * (node then drops any request still in progress on that connection, answered or not).
 */
function exchange(
  port: number,
  chunks: (string | Buffer)[],
  { halfClose = false, timeoutMs = 5_000 } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (halfClose) socket.end();
    });
    socket.on('data', (data) => received.push(data));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(received).toString('latin1')));
    });
  });
}

/** A request that asks the service to close the connection after its answer. */
/** Poll (log lines cross a pipe); gives up after `ms`. */
async function until(done: () => boolean, ms = 2_000): Promise<void> {
  for (const start = Date.now(); !done() && Date.now() - start < ms;) await new Promise((r) => setTimeout(r, 20));
}

const request = (line: string, headers: string[] = [], body = '') =>
  `${line}\r\nHost: api.example.com\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`;

let db: BookApi;
let service: Service;
/** This region's paths to both replicas of the book. */
const paths = () => [LOCAL_REGION, db.env.BOOK_PEER_REGION].map((to) => db.book.replicas.path(LOCAL_REGION, to));
/** Every call from this region to the book is never answered (until the caller gives up). */
const freeze = () => paths().forEach((p) => (p.hang = true));
const thaw = () => paths().forEach((p) => (p.hang = false));

beforeAll(async () => {
  db = await startBookApi();
  const regions = [LOCAL_REGION, db.env.BOOK_PEER_REGION];
  const endpoints = Object.fromEntries(
    await Promise.all(regions.map(async (to) => [to, await db.book.replicas.endpoint(LOCAL_REGION, to)])),
  );
  service = await startService({
    ...db.env,
    // The raw requests below are sent to (and signed for) Host: api.example.com.
    API_HOSTS: `${db.env.API_HOSTS},api.example.com`,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TEST_CLIENT_KEYS: JSON.stringify(db.secrets.current(db.env.CLIENT_KEYS_SECRET_ARN)),
    TEST_BOOK_SIGNING_KEY: db.book.signingKey.toString('base64'),
    TEST_BOOK_ENDPOINTS: JSON.stringify(endpoints),
  });
});

afterAll(async () => {
  await service?.stop();
  await db?.stop();
});

describe('no request takes the service down', () => {
  // Each was enough, alone, to end the process (an unhandled rejection in the request callback).
  const cases: [string, (string | Buffer)[], number | undefined, boolean?][] = [
    ['GET //[ (origin form read as a host by new URL)', [request('GET //[ HTTP/1.1')], 400],
    ['GET //a:99999/health (port out of range)', [request('GET //a:99999/health HTTP/1.1')], 400],
    ['GET http://[::1 (absolute form, unterminated IPv6 host)', [request('GET http://[::1 HTTP/1.1')], 400],
    [
      'GET http://a:99999/health (absolute form, port out of range)',
      [request('GET http://a:99999/health HTTP/1.1')],
      400,
    ],
    ['GET /orders/%ZZ (malformed percent-escape)', [request('GET /orders/%ZZ HTTP/1.1')], 400],
    ['GET /orders/% (truncated percent-escape)', [request('GET /orders/% HTTP/1.1')], 400],
    [
      'Content-Length 1000, 17 bytes sent, then the client closes',
      [
        request(
          'POST /orders HTTP/1.1',
          ['Content-Type: application/json', 'Content-Length: 1000'],
          '{"clientOrderId":',
        ),
      ],
      undefined,
      true,
    ],
    [
      'a body announced larger than the limit (refused before it is read)',
      [request('POST /orders HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 100000'], '{')],
      413,
    ],
    [
      'a chunked body larger than the limit',
      [
        request('POST /orders HTTP/1.1', ['Content-Type: application/json', 'Transfer-Encoding: chunked'], '5000\r\n'),
        'x'.repeat(0x5000),
        '\r\n0\r\n\r\n',
      ],
      413,
    ],
    ['bytes that are not HTTP', ['\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n'], 400],
    ['an HTTP version that does not exist', [request('GET /health HTTP/9.9')], 400],
    ['a header line without a colon', [request('GET /health HTTP/1.1', ['no colon here'])], 400],
    ['CONNECT (handed over as a raw socket by node)', [request('CONNECT db.internal:5432 HTTP/1.1')], 405],
  ];

  it.each(cases.map(([label, chunks, status, halfClose]) => ({ label, chunks, status, halfClose })))(
    '$label',
    async ({ chunks, status, halfClose }) => {
      const logsBefore = service.logs.length;
      const answer = await exchange(service.port, chunks, { halfClose });
      expect(answer.status).toBe(status);
      // Survived, and still serves.
      expect(service.alive()).toBe(true);
      expect((await exchange(service.port, [request('GET /health HTTP/1.1')])).status).toBe(200);
      if (status === undefined || status === 400 || status === 405) {
        // Every error in a request path leaves a line in the log, not only a response.
        await until(() => service.logs.length > logsBefore);
        expect(service.logs.slice(logsBefore).map((l) => l.level)).toContain('WARN');
      }
    },
  );

  it('stays up and never answers 5xx (other than 503 with Retry-After) under fuzzed raw requests', async () => {
    const tchar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+.^_`|~-");
    const token = fc.string({ unit: tchar, minLength: 1, maxLength: 10 });
    const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), token);
    const safeTarget = fc.oneof(
      fc.constantFrom(
        '/health',
        '/orders',
        '/orders/',
        '//[',
        '//a:99999/health',
        'http://[::1',
        'http://a:99999/health',
        'http://api.example.com/health',
        '*',
        '/orders/%ZZ',
        '/orders/%',
        '/orders/%E0%A4%A',
        '/orders/6f1c1d2e-1111-4222-8333-944445555666',
        '/health?probe=1#x',
        '/../orders',
      ),
      fc.webPath(),
      fc.webUrl(),
      fc.string({ unit: fc.constantFrom(...'/%[]:@?#.-_~aZ09'), maxLength: 24 }).map((s) => `/${s}`),
    );
    const anyTarget = fc.oneof(
      { weight: 4, arbitrary: safeTarget },
      { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
    );
    const line = fc.oneof(
      { weight: 3, arbitrary: fc.constant(['POST', '/orders'] as const) },
      { weight: 1, arbitrary: fc.constant(['GET', '/health'] as const) },
      { weight: 4, arbitrary: fc.tuple(method, anyTarget) },
    );
    const decimal = fc.oneof(
      { weight: 12, arbitrary: fc.stringMatching(/^[1-9]\d{0,5}(\.\d{1,8})?$/) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '187.250',
          '020',
          '00.6',
          '0',
          '-1',
          '1e5',
          '123456789012.12345679',
          '0.000000001',
          ' 5 ',
        ),
      },
      { weight: 1, arbitrary: fc.double() },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    );
    const orderBody = fc
      .record({
        clientOrderId: fc.integer({ min: 0, max: 400 }).map((n) => `fz-${n}`),
        symbol: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom('AAPL', 'MSFT', 'NVDA') },
          { weight: 1, arbitrary: fc.constantFrom('aapl', '') },
        ),
        side: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom('buy', 'sell') },
          { weight: 1, arbitrary: fc.constant('hold') },
        ),
        quantity: decimal,
        limitPrice: fc.option(decimal, { nil: undefined, freq: 2 }),
        mismatched: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      })
      // Mostly consistent (a limit order has a price), sometimes not.
      .map(({ mismatched, ...o }) => ({ ...o, type: (o.limitPrice !== undefined) !== mismatched ? 'limit' : 'market' }))
      .map((o) => JSON.stringify(o));
    const body = fc.oneof(
      { weight: 8, arbitrary: orderBody },
      { weight: 1, arbitrary: fc.json() },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
      { weight: 1, arbitrary: fc.constant('') },
    );
    const header = fc.tuple(token, fc.string({ unit: 'grapheme-ascii', maxLength: 20 }));
    const framing = fc.oneof(
      { weight: 6, arbitrary: fc.constant('exact') },
      { weight: 2, arbitrary: fc.constant('chunked') },
      { weight: 3, arbitrary: fc.constantFrom('none', 'short', 'long', 'garbage', 'twice') },
    );
    const contentType = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'),
      },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', '') },
    );

    // Client order ids answered 201, and those sent without an answer coming back (the client
    // gave up, or the request was cut): a row may exist for those, for the others it must not.
    const acknowledged = new Set<string>();
    const unanswered = new Set<string>();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        line,
        fc.oneof(
          { weight: 3, arbitrary: fc.constant([]) },
          { weight: 1, arbitrary: fc.array(header, { maxLength: 3 }) },
        ),
        contentType,
        body,
        framing,
        fc.boolean(),
        fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        async ([m, t], extra, type, payload, frame, split, giveUp) => {
          runs++;
          const bytes = Buffer.from(payload, 'utf8');
          const headers = extra
            .filter(
              ([name]) =>
                !/^(content-length|transfer-encoding|host|connection|expect|upgrade|authorization|x-tap-client)$/i.test(
                  name,
                ),
            )
            .map(([name, value]) => `${name}: ${value}`);
          // Signed by desk A over the bytes it sends (a framing that cuts them breaks the signature).
          const req = { method: m, host: 'api.example.com', path: t, body: bytes };
          headers.push(`Authorization: ${authorization(CLIENTS.deskA, req, { region: LOCAL_REGION })}`);
          headers.push(`X-Tap-Client: ${CLIENTS.deskA.clientId}`);
          if (type) headers.push(`Content-Type: ${type}`);
          let tail: Buffer = bytes;
          if (frame === 'exact') headers.push(`Content-Length: ${bytes.length}`);
          if (frame === 'short') headers.push(`Content-Length: ${Math.max(0, bytes.length - 3)}`);
          if (frame === 'long') headers.push(`Content-Length: ${bytes.length + 100}`);
          if (frame === 'garbage') headers.push('Content-Length: 12abc');
          if (frame === 'twice') headers.push(`Content-Length: ${bytes.length}`, `Content-Length: ${bytes.length + 1}`);
          if (frame === 'chunked') {
            headers.push('Transfer-Encoding: chunked');
            // A chunk of size 0 ends the body, so an empty body is that chunk alone.
            const data =
              bytes.length > 0 ? [Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')] : [];
            tail = Buffer.concat([...data, Buffer.from('0\r\n\r\n')]);
          }
          if (frame === 'none') tail = Buffer.alloc(0);
          const head = Buffer.from(request(`${m} ${t} HTTP/1.1`, headers), 'latin1');
          const all = Buffer.concat([head, tail]);
          const chunks = split ? [all.subarray(0, all.length >> 1), all.subarray(all.length >> 1)] : [all];

          // A body that never ends is only ended by the client giving up (or node's request timeout).
          const halfClose = giveUp || frame === 'long';

          const answer = await exchange(service.port, chunks, { halfClose });
          expect(service.alive()).toBe(true);
          // A well-formed, complete request always gets an answer.
          const wellFormed =
            !halfClose &&
            /^[\x21-\x7e]+$/.test(t) &&
            ['exact', 'none', 'chunked'].includes(frame) &&
            extra.every(([, value]) => /^[\x20-\x7e]*$/.test(value));
          if (wellFormed) expect(answer.status).toBeDefined();
          if (answer.status !== undefined) {
            expect([200, 201, 202, 400, 401, 404, 405, 408, 409, 413, 415, 429, 431, 503]).toContain(answer.status);
            if (answer.status === 503) expect(answer.headers['retry-after']).toBeDefined();
          }
          const clientOrderId = /"clientOrderId":"(fz-\d+)"/.exec(payload)?.[1];
          if (clientOrderId && answer.status === 201) acknowledged.add(clientOrderId);
          if (clientOrderId && answer.status === undefined) unanswered.add(clientOrderId);
        },
      ),
      { numRuns: 300 },
    );
    expect(runs).toBeGreaterThanOrEqual(300);
    expect(service.alive()).toBe(true);
    // Nothing lost, nothing written that was not acknowledged.
    const stored = [
      ...new Set(
        db.book.replicas
          .stream(LOCAL_REGION)
          .map((r) => r.dynamodb.NewImage?.clientOrderId?.S ?? '')
          .filter((id) => id.startsWith('fz-')),
      ),
    ];
    expect(stored.filter((id) => !acknowledged.has(id) && !unanswered.has(id))).toEqual([]);
    expect([...acknowledged].filter((id) => !stored.includes(id))).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(0);
  });
});

describe("a frozen order book: every answer still arrives inside its consumer's timeout", () => {
  const timed = async <T>(work: () => Promise<T>) => {
    const start = performance.now();
    const result = await work();
    return { result, ms: performance.now() - start };
  };
  const client = () => new OrderClient(`http://127.0.0.1:${service.port}`, CLIENTS.deskA);
  const get = (p: string) =>
    timed(async () => {
      const response = await client().request('GET', p);
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: response.body };
    });

  afterEach(() => thaw());

  it('the health deadline leaves room inside the smallest health-check timeout', () => {
    expect(HEALTH_DEADLINE_MS).toBeLessThan(ALB_HEALTH_TIMEOUT_MS);
  });

  it('/health answers 503 before the ALB gives up (and 200 again once the book answers)', async () => {
    expect((await get('/health')).result.status).toBe(200);
    freeze();
    // Every load balancer node asks at once.
    const answers = await Promise.all(Array.from({ length: 6 }, () => get('/health')));
    for (const { result, ms } of answers) {
      expect(result).toMatchObject({ status: 503, retryAfter: '5', body: { status: 'unavailable' } });
      expect(ms).toBeLessThan(ALB_HEALTH_TIMEOUT_MS);
    }
    thaw();
    let recovered = false;
    for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
      recovered = (await get('/health')).result.status === 200;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(recovered).toBe(true);
  });

  it('a POST and a GET answer before the request deadline (retryable, never a 500), and the process lives on', async () => {
    const created = await client().placeOrder({
      clientOrderId: 'frozen-1',
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      quantity: '1',
    });
    expect(created.status).toBe(201);
    const { id } = created.body as { id: string };
    freeze();
    // Both at once (each timed on its own): each waits out its own bound on the frozen book.
    const [post, read] = await Promise.all([
      timed(async () => {
        const response = await client().placeOrder({
          clientOrderId: 'frozen-2',
          symbol: 'AAPL',
          side: 'buy',
          type: 'market',
          quantity: '1',
        });
        return { status: response.status, retryAfter: response.headers.get('retry-after') };
      }),
      get(`/orders/${id}`),
    ]);
    // 503 "not taken" or 504 "outcome unknown" (a write may have been sent): both say when to retry.
    expect([503, 504]).toContain(post.result.status);
    expect(post.result.retryAfter).toBeTruthy();
    expect(post.ms).toBeLessThan(REQUEST_DEADLINE_MS + 500);
    expect(read.result).toMatchObject({ status: 503, retryAfter: '5' });
    expect(read.ms).toBeLessThan(REQUEST_DEADLINE_MS + 500);
    expect(service.alive()).toBe(true);
  });

  it('the Lambda target group gets the same answer as the EC2 one, in time, frozen or not', async () => {
    const lambda = db.runtime({ API_HOSTS: `${db.env.API_HOSTS},api.example.com` });
    const viaAlb = () =>
      timed(async () => {
        const event = { httpMethod: 'GET', path: '/health', headers: {}, body: null, isBase64Encoded: false };
        const response = await handleRequest(fromAlbEvent(event as never), lambda.deps);
        return { status: response.statusCode, body: JSON.parse(response.body) };
      });
    const [ec2, alb] = [await get('/health'), await viaAlb()];
    expect(alb.result).toEqual({ status: ec2.result.status, body: ec2.result.body });
    expect(alb.result.status).toBe(200);

    freeze();
    const [frozenEc2, frozenAlb] = await Promise.all([get('/health'), viaAlb()]);
    expect(frozenAlb.result).toEqual({ status: frozenEc2.result.status, body: frozenEc2.result.body });
    expect(frozenAlb.result.status).toBe(503);
    expect(Math.max(frozenEc2.ms, frozenAlb.ms)).toBeLessThan(ALB_HEALTH_TIMEOUT_MS);
  });
});
