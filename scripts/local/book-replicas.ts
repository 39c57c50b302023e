/**
 * Over 320 lines, with a reason: the front, its transactions and the replication pump share each
 * replica's lock, item images and stream. The next cut: `transact` (TransactWriteItems on top of
 * dynalite) into its own module; the socket-free transport already lives in in-process-transport.ts.
 *
 * The order book's global table, offline: two replicas, each a dynalite server (a DynamoDB
 * emulator from npm, in process), behind a front that adds what dynalite lacks and what a test
 * or the drill needs to break:
 *
 * - TransactWriteItems (dynalite has none): every write to a replica passes one lock per
 *   replica, so a transaction checks all its conditions and then applies all its actions with
 *   nothing in between, as DynamoDB's serializable transactions do within a Region.
 * - A stream per replica (NEW_AND_OLD_IMAGES records in the shape a Lambda event source mapping
 *   delivers), holding local writes and the writes replicated into it.
 * - Replication: a pump copies each replica's local writes to the other after `lagMs`, applying
 *   them by last writer wins on the write's timestamp, as global tables do; it stops while the
 *   link or either replica is down and catches up afterwards.
 * - Faults on each path from a calling region to a replica: added latency, connection resets,
 *   hangs, errors, and a write that commits and then loses its reply.
 *
 * A client built by `client(from, to)` is a real SDK v3 DynamoDBClient: the code under test is
 * the code that runs in AWS. It reaches the front over HTTP, or, with `inProcess`, through its
 * request handler without a socket (scripts/local/in-process-transport.ts).
 */
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import dynalite from 'dynalite';
import { checkConditional } from 'dynalite/db';
import { validateExpressions } from 'dynalite/validations';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Answer, dynaliteHandler, InProcessHandler, type Outcome } from './in-process-transport';
import type { BookReplicas as WriterReplicas } from '../../lambda/shared/book-writer';

type Item = Record<string, AttributeValue>;

export interface StreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly Keys: Item;
    readonly NewImage?: Item;
    readonly OldImage?: Item;
    readonly SequenceNumber: string;
    /** Seconds since the epoch, as DynamoDB Streams reports it. */
    readonly ApproximateCreationDateTime: number;
    readonly StreamViewType: 'NEW_AND_OLD_IMAGES';
  };
  /** Where the write was made (its own replica, or the one it was replicated from). */
  readonly origin: string;
  /** Last-writer-wins timestamp of the write (ms, unique within the emulator). */
  readonly writtenAt: number;
}

/** What happens on one path from a calling region to a replica. */
export interface PathFault {
  /** Added before the request reaches the replica (each way is not modelled: one delay per call). */
  latencyMs?: number;
  /** Connections are reset before the request reaches the replica. */
  reset?: boolean;
  /** The request reaches nothing and is never answered (until the client gives up). */
  hang?: boolean;
  /** The replica answers this error (HTTP 500 InternalServerError) without doing anything. */
  fail?: boolean;
  /** The write is applied, then the reply is lost: `reset` closes the connection, `hang` never answers. */
  afterCommit?: 'reset' | 'hang';
}

/** Requests that reached the front on one path; `open`: those not answered yet. */
export interface PathArrivals {
  received: number;
  open: number;
}

export interface ReplicaState {
  /** The whole replica is unreachable from everywhere, and its replication stops. */
  down: boolean;
}

export interface BookReplicasOptions {
  readonly regions: readonly [string, string];
  readonly tableName?: string;
  /** Replication delay between the replicas (ms); the drill and tests change it at run time. */
  readonly lagMs?: number;
  /** How often the pump looks for records to replicate (ms); 0: only when `replicateNow` is called. */
  readonly pumpIntervalMs?: number;
  /**
   * The clock of last-writer-wins timestamps, stream times and replication lag (default
   * Date.now). The drill passes its simulated clock and drives the pump with `replicateNow`.
   */
  readonly now?: () => number;
  /** No sockets: clients call the front, and the front dynalite, in process (the drill's speed). */
  readonly inProcess?: boolean;
}

const DEFAULT_TABLE = 'order-book';
const TARGET = 'DynamoDB_20120810.';

const dynamoError = (type: string, message: string, extra: Record<string, unknown> = {}, status = 400): Answer => ({
  status,
  body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra }),
});

/** One async lock: callers run one at a time, in arrival order. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Whether `input`'s condition holds for `existing`, decided by dynalite's own expression parser
 * and evaluator (the expression language is dynalite's, not a copy). Throws a validation message.
 */
function conditionHolds(input: Record<string, unknown>, existing: Item | undefined): boolean {
  if (!input.ConditionExpression) return true;
  const data: Record<string, unknown> = {
    ConditionExpression: input.ConditionExpression,
    UpdateExpression: input.UpdateExpression,
    ExpressionAttributeNames: input.ExpressionAttributeNames,
    ExpressionAttributeValues: input.ExpressionAttributeValues,
  };
  const invalid = validateExpressions(data);
  if (invalid) throw Object.assign(new Error(invalid), { validation: true });
  return !checkConditional(data, existing);
}

class Replica {
  readonly lock = new Mutex();
  /** What the replica holds, as written through the front or the pump (all writes pass there). */
  private readonly items = new Map<string, Item>();
  readonly stream: StreamRecord[] = [];
  /** Last-writer-wins timestamps of the items this replica holds. */
  readonly writtenAt = new Map<string, number>();
  readonly state: ReplicaState = { down: false };
  server!: http.Server;
  port = 0;
  private direct?: (headers: Record<string, string>, body: string) => Promise<Answer>;
  private keyNames = new Map<string, string[]>();

  constructor(readonly region: string) {}

  async start(inProcess = false): Promise<void> {
    this.server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    if (inProcess) return void (this.direct = dynaliteHandler(this.server));
    // Idle keep-alive sockets outlive any test: Node's default (5 s) races a reuse into ECONNRESET.
    this.server.keepAliveTimeout = 600_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** A call straight to dynalite. */
  call(op: string, input: unknown): Promise<Answer> {
    const body = JSON.stringify(input);
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': TARGET + op,
      // dynalite checks that a request is signed, not the signature.
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': '20250101T000000Z',
      'content-length': String(Buffer.byteLength(body)),
    };
    if (this.direct) return this.direct(headers, body);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method: 'POST', path: '/', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async callOk<T = Record<string, unknown>>(op: string, input: unknown): Promise<T> {
    const answer = await this.call(op, input);
    if (answer.status !== 200) throw new Error(`book emulator: ${op} failed: ${answer.body}`);
    return JSON.parse(answer.body) as T;
  }

  async keyOf(table: string, item: Item): Promise<Item> {
    let names = this.keyNames.get(table);
    if (!names) {
      const described = await this.callOk<{ Table: { KeySchema: { AttributeName: string }[] } }>('DescribeTable', {
        TableName: table,
      });
      names = described.Table.KeySchema.map((k) => k.AttributeName);
      this.keyNames.set(table, names);
    }
    return Object.fromEntries(names.map((n) => [n, item[n]]));
  }

  async get(table: string, key: Item): Promise<Item | undefined> {
    const out = await this.callOk<{ Item?: Item }>('GetItem', { TableName: table, Key: key, ConsistentRead: true });
    return out.Item;
  }

  image(table: string, key: Item): Item | undefined {
    return this.items.get(`${table}\u0000${JSON.stringify(key)}`);
  }

  record(table: string, key: Item, before: Item | undefined, after: Item | undefined, origin: string, at: number) {
    const id = `${table}\u0000${JSON.stringify(key)}`;
    if (after) this.items.set(id, structuredClone(after));
    else this.items.delete(id);
    if (!before && !after) return;
    this.writtenAt.set(id, at);
    this.stream.push({
      eventID: `${this.region}-${this.stream.length + 1}`,
      eventName: !after ? 'REMOVE' : before ? 'MODIFY' : 'INSERT',
      awsRegion: this.region,
      dynamodb: {
        Keys: key,
        ...(after ? { NewImage: after } : {}),
        ...(before ? { OldImage: before } : {}),
        SequenceNumber: String(this.stream.length + 1).padStart(21, '0'),
        ApproximateCreationDateTime: Math.floor(at / 1000),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      origin,
      writtenAt: at,
    });
  }
}

type WriteAction =
  | { kind: 'Put'; input: { TableName: string; Item: Item } & Record<string, unknown> }
  | { kind: 'Update'; input: { TableName: string; Key: Item } & Record<string, unknown> }
  | { kind: 'Delete'; input: { TableName: string; Key: Item } & Record<string, unknown> }
  | { kind: 'ConditionCheck'; input: { TableName: string; Key: Item } & Record<string, unknown> };

export class BookReplicas {
  readonly tableName: string;
  readonly regions: readonly [string, string];
  lagMs: number;
  /** Replication between the two replicas is cut (both keep serving their own callers). */
  partitioned = false;
  private readonly replicas = new Map<string, Replica>();
  private readonly faults = new Map<string, PathFault>();
  private readonly fronts: http.Server[] = [];
  private readonly endpoints = new Map<string, Promise<string>>();
  private readonly sockets = new Set<import('node:net').Socket>();
  private readonly pumped = new Map<string, number>();
  private readonly arrived = new Map<string, PathArrivals>();
  private pump?: NodeJS.Timeout;
  /** The last error the pump met (it retries on the next tick). */
  pumpError?: unknown;
  private clock = 0;
  private readonly wallClock: () => number;
  private readonly inProcess: boolean;

  private constructor(options: BookReplicasOptions) {
    this.wallClock = options.now ?? Date.now;
    this.inProcess = options.inProcess ?? false;
    this.regions = options.regions;
    this.tableName = options.tableName ?? DEFAULT_TABLE;
    this.lagMs = options.lagMs ?? 0;
    for (const r of options.regions) this.replicas.set(r, new Replica(r));
  }

  /** Both replicas up, the book's table created in each, the pump running. */
  static async start(options: BookReplicasOptions): Promise<BookReplicas> {
    const book = new BookReplicas(options);
    for (const replica of book.replicas.values()) {
      await replica.start(book.inProcess);
      await replica.callOk('CreateTable', {
        TableName: book.tableName,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
      // dynalite makes the table ACTIVE on its next tick (createTableMs 0): until then it is "not found".
      const status = () =>
        replica.callOk<{ Table: { TableStatus: string } }>('DescribeTable', { TableName: book.tableName });
      while ((await status()).Table.TableStatus !== 'ACTIVE') await new Promise((r) => setImmediate(r));
    }
    if (options.pumpIntervalMs !== 0) {
      book.pump = setInterval(() => {
        // A failed step is retried on the next tick (the records stay where they were).
        book.replicate().catch((e) => (book.pumpError = e));
      }, options.pumpIntervalMs ?? 10);
      book.pump.unref();
    }
    return book;
  }

  /** One pass of the pump: every record due (older than `lagMs`) copied, unless cut or down. */
  replicateNow(): Promise<void> {
    return this.replicate();
  }

  replica(region: string): ReplicaState {
    return this.get(region).state;
  }

  /** The fault on the path from `from`'s callers to `to`'s replica (mutable; `{}` clears it). */
  path(from: string, to: string): PathFault {
    const key = `${from}->${to}`;
    let fault = this.faults.get(key);
    if (!fault) this.faults.set(key, (fault = {}));
    return fault;
  }

  /**
   * The requests that reached the front on the path from `from`'s callers to `to`'s replica, and
   * how many of those it is still answering (an injected latency, the write). A caller that
   * counts what it sent knows its writes have landed, or never will, once every one arrived and
   * none is open.
   */
  arrivals(from: string, to: string): PathArrivals {
    return { ...this.arrivalsOn(from, to) };
  }

  /** Clear every path fault. */
  clearFaults(): void {
    for (const f of this.faults.values()) for (const k of Object.keys(f)) delete (f as Record<string, unknown>)[k];
  }

  /** The records `region`'s stream holds (local and replicated writes), oldest first. */
  stream(region: string): readonly StreamRecord[] {
    return this.get(region).stream;
  }

  /** The endpoint that callers in `from` use for `to`'s replica. */
  endpoint(from: string, to: string): Promise<string> {
    const key = `${from}->${to}`;
    let ep = this.endpoints.get(key);
    if (!ep) this.endpoints.set(key, (ep = this.front(from, to)));
    return ep;
  }

  /**
   * One endpoint in `from` for both replicas, each request routed by the region it is signed
   * for (the SigV4 credential scope of its Authorization header), as the public Regional
   * endpoints are told apart by name. For code that builds its clients from the environment
   * (`AWS_ENDPOINT_URL_DYNAMODB`, the SDK's service-specific endpoint setting) rather than taking them.
   */
  async routedEndpoint(from: string): Promise<string> {
    const targets = new Map<string, URL>();
    for (const to of this.regions) targets.set(to, new URL(await this.endpoint(from, to)));
    const server = http.createServer((req, res) => {
      const scope = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
      const target = scope ? targets.get(scope) : undefined;
      if (!target) return void res.writeHead(400).end('{"__type":"UnrecognizedClientException"}');
      const forward = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => req.socket.destroy());
      req.pipe(forward);
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.fronts.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /**
   * An SDK client in `from` for `to`'s replica: one attempt, bounded by `requestTimeoutMs` (the
   * accept path sets its own bounds; the SDK's default retries would hide the faults).
   */
  async client(from: string, to: string, options: { requestTimeoutMs?: number; maxAttempts?: number } = {}) {
    const requestTimeout = options.requestTimeoutMs ?? 5_000;
    return new DynamoDBClient({
      region: to,
      endpoint: this.inProcess ? `http://dynamodb.${to}.in-process` : await this.endpoint(from, to),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: options.maxAttempts ?? 1,
      requestHandler: this.inProcess
        ? new InProcessHandler((target, body) => this.answer(from, this.get(to), target, body), requestTimeout)
        : new NodeHttpHandler({ requestTimeout, connectionTimeout: 1_000, throwOnRequestTimeout: true }),
    });
  }

  /**
   * The book as code in `from` sees it (lambda/shared/book-writer.ts): one {@link client} per
   * replica, each also added to `clients` for the caller to destroy.
   */
  async replicasFrom(
    from: string,
    clients: DynamoDBClient[],
    options: { requestTimeoutMs?: number } = {},
  ): Promise<WriterReplicas> {
    const byRegion = new Map<string, DynamoDBClient>();
    for (const r of this.regions) {
      const c = await this.client(from, r, options);
      clients.push(c);
      byRegion.set(r, c);
    }
    return { tableName: this.tableName, regions: this.regions, client: (r) => byRegion.get(r)! };
  }

  /** Resolves once everything written so far has reached the other replica (or `timeoutMs` passes). */
  async settle(timeoutMs = 5_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.pump) await this.replicate();
      if (this.regions.every((r) => (this.pumped.get(r) ?? 0) >= this.localRecords(r))) return true;
      await new Promise((r) => setTimeout(r, 5));
    }
    return false;
  }

  async stop(): Promise<void> {
    if (this.pump) clearInterval(this.pump);
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.fronts.map((f) => new Promise((r) => f.close(r))));
    if (!this.inProcess)
      await Promise.all(
        [...this.replicas.values()].map(
          (r) =>
            new Promise((res) => {
              // Every connection to dynalite is the emulator's own (the front and the pump, through
              // Node's keep-alive agent). close() drops the idle ones once: one still busy then (the
              // pump's pass, a late write) held it until the agent let the socket go, 5 s on. A busy
              // one finishes its request (dynalite closes its store on close) and is dropped as soon
              // as it is idle.
              const idle = setInterval(() => r.server.closeIdleConnections(), 10);
              r.server.close(() => {
                clearInterval(idle);
                res(undefined);
              });
            }),
        ),
      );
  }

  /** A unique, increasing timestamp for last-writer-wins (ms with a fraction to break ties). */
  private now(): number {
    this.clock = Math.max(this.wallClock(), this.clock + 0.001);
    return this.clock;
  }

  private arrivalsOn(from: string, to: string): PathArrivals {
    const key = `${from}->${to}`;
    let counts = this.arrived.get(key);
    if (!counts) this.arrived.set(key, (counts = { received: 0, open: 0 }));
    return counts;
  }

  private get(region: string): Replica {
    const r = this.replicas.get(region);
    if (!r) throw new Error(`book emulator: no replica in ${region}`);
    return r;
  }

  private localRecords(region: string): number {
    return this.get(region).stream.filter((s) => s.origin === region).length;
  }

  private async front(from: string, to: string): Promise<string> {
    const replica = this.get(to);
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.serve(from, replica, String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks), req, res);
      });
    });
    server.keepAliveTimeout = 600_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.fronts.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async serve(
    from: string,
    replica: Replica,
    target: string,
    body: Buffer,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const outcome = await this.answer(from, replica, target, body.toString('utf8'));
    if (outcome === 'reset') return void req.socket.destroy();
    if (outcome === 'hang') return; // the client's own timeout ends it
    this.reply(res, outcome);
  }

  /** What the front does with one request from `from`'s callers to `replica`, whatever carried it. */
  private async answer(from: string, replica: Replica, target: string, body: string): Promise<Outcome> {
    const counts = this.arrivalsOn(from, replica.region);
    counts.received += 1;
    counts.open += 1;
    try {
      return await this.respond(from, replica, target, body);
    } finally {
      counts.open -= 1;
    }
  }

  private async respond(from: string, replica: Replica, target: string, body: string): Promise<Outcome> {
    const fault = { ...this.path(from, replica.region) };
    if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (replica.state.down || fault.reset) return 'reset';
    if (fault.hang) return 'hang';
    if (fault.fail) return dynamoError('InternalServerError', 'injected failure', {}, 500);
    const op = target.startsWith(TARGET) ? target.slice(TARGET.length) : target;
    let answer: Answer;
    try {
      answer = await this.operate(replica, op, JSON.parse(body || '{}') as Record<string, unknown>);
    } catch (e) {
      answer = dynamoError('InternalServerError', String(e), {}, 500);
    }
    return fault.afterCommit ?? answer;
  }

  private reply(res: http.ServerResponse, answer: Answer): void {
    res.writeHead(answer.status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(answer.body),
    });
    res.end(answer.body);
  }

  private operate(replica: Replica, op: string, input: Record<string, unknown>): Promise<Answer> {
    switch (op) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return replica.lock.run(() => this.write(replica, op, input));
      case 'TransactWriteItems':
        return replica.lock.run(() => this.transact(replica, input));
      case 'BatchWriteItem':
      case 'TransactGetItems':
        return Promise.resolve(dynamoError('ValidationException', `book emulator: ${op} is not emulated`));
      default:
        return replica.call(op, input);
    }
  }

  /** A single write through dynalite, recorded in the replica's stream. Runs under the lock. */
  private async write(replica: Replica, op: string, input: Record<string, unknown>): Promise<Answer> {
    const table = String(input.TableName);
    const key = op === 'PutItem' ? await replica.keyOf(table, input.Item as Item) : (input.Key as Item);
    const before = replica.image(table, key);
    const answer = await replica.call(op, input);
    if (answer.status === 200) {
      const after =
        op === 'PutItem' ? (input.Item as Item) : op === 'DeleteItem' ? undefined : await replica.get(table, key);
      replica.record(table, key, before, after, replica.region, this.now());
    }
    return answer;
  }

  /**
   * All conditions first (dynalite's evaluator, on the items as they are), then all actions,
   * under the replica's lock: nothing else writes in between.
   */
  private async transact(replica: Replica, input: Record<string, unknown>): Promise<Answer> {
    const raw = (input.TransactItems ?? []) as Record<string, Record<string, unknown>>[];
    if (raw.length === 0 || raw.length > 100) {
      return dynamoError('ValidationException', 'TransactItems must hold 1 to 100 actions');
    }
    const actions = raw.map((entry) => {
      const kind = Object.keys(entry)[0] as WriteAction['kind'];
      return { kind, input: entry[kind] } as WriteAction;
    });
    const keys: Item[] = [];
    for (const a of actions) {
      keys.push(a.kind === 'Put' ? await replica.keyOf(a.input.TableName, a.input.Item) : a.input.Key);
    }
    const seen = new Set(keys.map((k, i) => `${actions[i].input.TableName}\u0000${JSON.stringify(k)}`));
    if (seen.size !== actions.length) {
      return dynamoError('ValidationException', 'Transaction request cannot include multiple operations on one item');
    }
    const reasons: Record<string, unknown>[] = [];
    let failed = false;
    for (const [i, a] of actions.entries()) {
      const existing = replica.image(a.input.TableName, keys[i]);
      let holds: boolean;
      try {
        holds = conditionHolds(a.input, existing);
      } catch (e) {
        return dynamoError('ValidationException', (e as Error).message);
      }
      if (holds) {
        reasons.push({ Code: 'None' });
      } else {
        failed = true;
        reasons.push({
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(a.input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && existing ? { Item: existing } : {}),
        });
      }
    }
    if (failed) {
      const codes = reasons.map((r) => r.Code).join(', ');
      return dynamoError(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
        {
          CancellationReasons: reasons,
        },
      );
    }
    const at = this.now();
    for (const [i, a] of actions.entries()) {
      if (a.kind === 'ConditionCheck') continue;
      const strip = (x: Record<string, unknown>) => {
        const { ConditionExpression: _c, ReturnValuesOnConditionCheckFailure: _r, ...rest } = x;
        // Names/values the condition alone used would make dynalite refuse them as unused.
        if (a.kind !== 'Update') {
          delete rest.ExpressionAttributeNames;
          delete rest.ExpressionAttributeValues;
        }
        return rest;
      };
      const before = replica.image(a.input.TableName, keys[i]);
      const op = a.kind === 'Put' ? 'PutItem' : a.kind === 'Update' ? 'UpdateItem' : 'DeleteItem';
      const answer = await replica.call(op, strip(a.input));
      if (answer.status !== 200)
        throw new Error(`book emulator: transaction action ${op} failed after its checks: ${answer.body}`);
      const after =
        a.kind === 'Put'
          ? a.input.Item
          : a.kind === 'Delete'
            ? undefined
            : await replica.get(a.input.TableName, keys[i]);
      replica.record(a.input.TableName, keys[i], before, after, replica.region, at);
    }
    return { status: 200, body: '{}' };
  }

  /** Copy each replica's local writes older than `lagMs` to the other, last writer wins. */
  private replicating = false;
  private async replicate(): Promise<void> {
    if (this.replicating) return;
    this.replicating = true;
    try {
      for (const [from, to] of [this.regions, [this.regions[1], this.regions[0]] as const]) {
        const source = this.get(from);
        const target = this.get(to);
        if (this.partitioned || source.state.down || target.state.down) continue;
        const local = source.stream.filter((s) => s.origin === from);
        let next = this.pumped.get(from) ?? 0;
        while (next < local.length && local[next].writtenAt + this.lagMs <= this.wallClock()) {
          const rec = local[next];
          await target.lock.run(async () => {
            const id = `${this.tableName}\u0000${JSON.stringify(rec.dynamodb.Keys)}`;
            if ((target.writtenAt.get(id) ?? -1) >= rec.writtenAt) return; // a later write wins
            const before = target.image(this.tableName, rec.dynamodb.Keys);
            if (rec.dynamodb.NewImage) {
              await target.callOk('PutItem', { TableName: this.tableName, Item: rec.dynamodb.NewImage });
            } else {
              await target.callOk('DeleteItem', { TableName: this.tableName, Key: rec.dynamodb.Keys });
            }
            target.record(this.tableName, rec.dynamodb.Keys, before, rec.dynamodb.NewImage, from, rec.writtenAt);
          });
          next += 1;
          this.pumped.set(from, next);
        }
      }
    } finally {
      this.replicating = false;
    }
  }
}
