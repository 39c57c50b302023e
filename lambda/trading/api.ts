/**
 * The order API, independent of how requests arrive (ALB -> Lambda, or node:http on EC2):
 * request in, response out, every outcome decided here once. No request gets a 500: the
 * client's fault is a 4xx, ours (or the order book's) a 503 with Retry-After, each logged.
 * Orders are taken and read in the live order book only (lambda/shared/order-book.ts).
 * Every request passes the same gate before routing: a canonical path (400 otherwise), then,
 * for anything but `GET /health`, a valid signature and the client's rate limit (auth.ts).
 * Orders belong to the client that signed them.
 */
import { firstDuplicateKey } from './duplicate-key';
import type { Logger } from '@aws-lambda-powertools/logger';
import { HEALTH_DEADLINE_MS, RETRY_AFTER_SECONDS } from '../facts/order-api';
import type { OrderRefusal } from '../facts/metrics';
import { publicOrder } from '../shared/book-order';
import type { OrderBook } from '../shared/order-book';
import type { Authenticate } from './auth';
import { OrderInput, orderIdFor, validateOrder } from './order';
import { checkCanonicalPath, checkCanonicalQuery } from './signing';

export interface ApiRequest {
  readonly method: string;
  /** The path as received, not decoded or normalised (it must already be canonical). */
  readonly path: string;
  /** Query pairs as received, still percent-encoded; a parameter sent without `=` has no value. */
  readonly query?: readonly (readonly [string, string | undefined])[];
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Body bytes as received (already base64-decoded by the adapter). */
  readonly body?: Buffer;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ApiDeps {
  /**
   * The live order book (lambda/shared/order-book.ts): orders are taken and read there; Aurora
   * is fed from the book's stream (lambda/book-applier), never by the order API.
   */
  readonly book: Pick<OrderBook, 'accept' | 'get' | 'ready'>;
  /** Signature, replay guard and rate limit: decides which client is calling, or refuses. */
  readonly authenticate: Authenticate;
  readonly region: string;
  readonly role: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly maxBodyBytes?: number;
}

export interface RequestOptions {
  /** Answer by then at the latest (the Lambda adapter passes its remaining time). */
  readonly deadlineMs?: number;
}

export const MAX_BODY_BYTES = 16 * 1024;
/**
 * Every request is answered within this, whatever the order book does (the Lambda adapter
 * shortens it to the invocation's remaining time; the function's default timeout is 10 s).
 */
export const REQUEST_DEADLINE_MS = 5_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An HTTP method is a token (RFC 9110); anything else is not a request we can route. */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** Our fault or the order book's: nothing was taken, the client may retry the same request. */
export const unavailable = (reason: string, extra: Record<string, unknown> = {}) =>
  json(503, { error: 'unavailable', reason, ...extra }, { 'retry-after': String(RETRY_AFTER_SECONDS) });

export const badRequest = (detail: string) => json(400, { error: 'bad request', detail });

/**
 * A write may have been applied, and whether it was cannot be known in time: not a 503 (that
 * says "not taken"). The client retries the same request (same clientOrderId: it gets the same
 * order, or the order is created once) or reads the derived id.
 */
export const outcomeUnknown = (id: string, reason: string) =>
  json(
    504,
    {
      error: 'outcome unknown',
      id,
      reason,
      detail: `retry with the same clientOrderId or GET /orders/${id}`,
    },
    { 'retry-after': '1' },
  );

/** Per request: whether a write to the book has been sent (after that, silence is not "not taken"). */
interface RequestState {
  bookWriteStarted: boolean;
  orderId?: string;
  deadline: number;
}

/** Resolve to `onTimeout()` if `work` has not settled by then (work goes on; its outcome is dropped). */
function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(onTimeout()), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The stored order is the client's own, yet not echoed: a 409 carries no order body, ever. */
const conflict = () => json(409, { error: 'clientOrderId already used for a different order' });

async function createOrder(
  clientId: string,
  req: ApiRequest,
  deps: ApiDeps,
  state: RequestState,
): Promise<ApiResponse> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') {
    return json(415, { error: 'unsupported media type', detail: 'send Content-Type: application/json' });
  }
  const size = req.body?.length ?? 0;
  const limit = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  if (size > limit) return json(413, { error: 'payload too large', detail: `at most ${limit} bytes` });
  if (size === 0) return json(400, { error: 'invalid order', errors: [{ field: '(body)', message: 'body is empty' }] });
  let body: unknown;
  const text = req.body!.toString('utf8');
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: 'invalid order', errors: [{ field: '(body)', message: 'body is not valid JSON' }] });
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    return json(400, {
      error: 'invalid order',
      errors: [{ field: duplicate, message: `${duplicate} appears more than once: send each key once` }],
    });
  }
  const validation = validateOrder(body);
  if (!validation.ok) return json(400, { error: 'invalid order', errors: validation.errors });
  return createInBook(clientId, validation.order, deps, state);
}

/** The order taken by the live book: every outcome it can have, one answer each. */
async function createInBook(
  clientId: string,
  order: OrderInput,
  deps: ApiDeps,
  state: RequestState,
): Promise<ApiResponse> {
  const { book } = deps;
  const context = { clientId, clientOrderId: order.clientOrderId };
  state.bookWriteStarted = true;
  state.orderId = orderIdFor(clientId, order.clientOrderId);
  const outcome = await book.accept(clientId, order, state.deadline);
  switch (outcome.kind) {
    case 'created':
      deps.logger.info('order accepted', { ...context, orderId: outcome.order.id, durability: outcome.durability });
      return json(
        201,
        { ...publicOrder(outcome.order), durability: outcome.durability },
        { 'x-order-durability': outcome.durability },
      );
    case 'replayed':
      deps.logger.info('order replayed', { ...context, orderId: outcome.order.id });
      return json(200, publicOrder(outcome.order));
    case 'conflict':
      return conflict();
    case 'not-taken':
      deps.logger.warn('order not taken', {
        ...context,
        reason: outcome.reason,
        overload: outcome.overload === true,
        refusal: refusalOf(outcome),
      });
      return unavailable(outcome.overload ? 'overloaded' : outcome.reason);
    case 'unknown':
      deps.logger.error('order outcome unknown', { ...context, orderId: outcome.id, reason: outcome.reason });
      return outcomeUnknown(outcome.id, outcome.reason);
  }
}

/** The fixed category an order refusal is counted under (lambda/facts/metrics.ts ORDER_REFUSALS). */
export function refusalOf(outcome: { readonly overload?: boolean; readonly fenced?: boolean }): OrderRefusal {
  return outcome.overload ? 'overload' : outcome.fenced ? 'fenced' : 'unavailable';
}

async function getOrder(clientId: string, id: string, deps: ApiDeps, state: RequestState): Promise<ApiResponse> {
  if (!UUID.test(id)) return json(400, { error: 'invalid order id', detail: 'order ids are UUIDs' });
  try {
    // Another client's order is "not found": its existence is not for this client to learn.
    const order = await deps.book.get(clientId, id, state.deadline);
    return order ? json(200, publicOrder(order)) : json(404, { error: 'order not found' });
  } catch (e) {
    deps.logger.error('order not read from the book', { orderId: id, error: String(e) });
    return unavailable('order book unavailable');
  }
}

export interface Readiness {
  /** How this region takes orders now: through the book's writer, or not at all. */
  readonly accepting: 'write' | 'none';
  /** What this region's replica said: answered, answered that this primary is fenced, or did not answer in time. */
  readonly book: 'ready' | 'fenced' | 'no answer';
}

/**
 * "Can this region accept orders now?", decided within HEALTH_DEADLINE_MS whatever the book
 * does. The ALB's target groups (EC2 and Lambda) and every other health signal call this same
 * function, so they cannot disagree.
 *
 * A region can take orders when its replica answers; whether it is the writer is the book's
 * writer item (a standby answers 503 "not the writer" per order, and stays healthy: traffic must
 * be able to fail over to it). The primary region once the writer has moved away from it is
 * fenced: unhealthy, so that Route 53's failover record and the accelerator send clients to the
 * region that takes orders, until a failback moves the writer back.
 */
export async function readiness(deps: ApiDeps): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>(
    (resolve) => (timer = setTimeout(() => resolve(undefined), HEALTH_DEADLINE_MS)),
  );
  const ready = await Promise.race([deps.book.ready(), deadline]).catch((e: unknown) => {
    deps.logger.warn('health check: the order book did not answer', { error: String(e) });
    return undefined;
  });
  clearTimeout(timer);
  if (!ready) return { accepting: 'none', book: 'no answer' };
  const fenced = deps.role === 'primary' && ready.writer !== undefined && ready.writer.region !== deps.region;
  if (fenced) deps.logger.warn('health check: this primary region is fenced', { writer: ready.writer });
  return fenced ? { accepting: 'none', book: 'fenced' } : { accepting: 'write', book: 'ready' };
}

/**
 * Unauthenticated (load balancers, Route 53 and the canary call it), so it answers with the
 * status alone: 200 when this region accepts orders, 503 when not. Region, role and the
 * book's state are for the log, not for strangers.
 */
async function health(deps: ApiDeps): Promise<ApiResponse> {
  const state = await readiness(deps);
  if (state.accepting !== 'none') return json(200, { status: 'ok' });
  deps.logger.warn('health check: this region cannot accept orders', { role: deps.role, ...state });
  return json(503, { status: 'unavailable' }, { 'retry-after': String(RETRY_AFTER_SECONDS) });
}

async function route(req: ApiRequest, deps: ApiDeps, state: RequestState): Promise<ApiResponse> {
  const refuse = (detail: string) => {
    deps.logger.warn('bad request', {
      detail,
      method: String(req.method).slice(0, 32),
      path: String(req.path).slice(0, 256),
    });
    return badRequest(detail);
  };
  if (typeof req.method !== 'string' || !METHOD.test(req.method)) return refuse('malformed request method');
  if (typeof req.path !== 'string') return refuse('malformed request path');
  // One spelling per resource, before anything is routed: see checkCanonicalPath.
  const canonical = checkCanonicalPath(req.path);
  if (!canonical.ok) {
    deps.logger.warn('bad request: non-canonical path', {
      detail: canonical.reason,
      method: req.method.slice(0, 32),
      path: req.path.slice(0, 256),
    });
    return json(400, { error: 'non-canonical path', detail: canonical.reason });
  }
  // One spelling per query too, so what the client signed is what the service reads.
  const query = checkCanonicalQuery(req.query ?? []);
  if (!query.ok) {
    deps.logger.warn('bad request: non-canonical query', { detail: query.reason, method: req.method.slice(0, 32) });
    return json(400, { error: 'non-canonical query', detail: query.reason });
  }
  const { path } = req;
  const method = req.method.toUpperCase();
  const allow = (methods: string) => json(405, { error: 'method not allowed' }, { allow: methods });
  if (path === '/health' && method === 'GET') return health(deps);

  // Everything else, known route or not, is for signed clients only.
  const auth = await deps.authenticate({ ...req, query: req.query as readonly (readonly [string, string])[] });
  if (!auth.ok) {
    // Strangers knock all day (info); our own refusals (429, 503) are worth a warning.
    const log = auth.statusCode === 401 ? deps.logger.info : deps.logger.warn;
    log.call(deps.logger, 'request refused', { status: auth.statusCode, error: auth.error, method, path });
    return json(auth.statusCode, { error: auth.error }, auth.headers);
  }
  if (path === '/health') return allow('GET');
  if (path === '/orders') return method === 'POST' ? createOrder(auth.clientId, req, deps, state) : allow('POST');
  const match = /^\/orders\/([^/]+)$/.exec(path);
  if (match) return method === 'GET' ? getOrder(auth.clientId, match[1], deps, state) : allow('GET');
  return json(404, { error: 'not found' });
}

/**
 * The one place a parsed request is dispatched (both adapters call it): bounded in time, and
 * every error becomes a response and a log line.
 */
export async function handleRequest(
  req: ApiRequest,
  deps: ApiDeps,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const deadlineMs = Math.min(options.deadlineMs ?? REQUEST_DEADLINE_MS, REQUEST_DEADLINE_MS);
  const state: RequestState = { bookWriteStarted: false, deadline: Date.now() + deadlineMs };
  try {
    return await withDeadline(route(req, deps, state), deadlineMs, () => {
      deps.logger.error('request deadline passed', { method: req.method, path: req.path, deadlineMs });
      // The book bounds its own waits inside the deadline; should it still be out, a write may land.
      return state.bookWriteStarted
        ? outcomeUnknown(state.orderId ?? '', 'request deadline passed')
        : unavailable('request deadline passed');
    });
  } catch (e) {
    deps.logger.error('unhandled error', { error: e instanceof Error ? e.stack : String(e) });
    return unavailable('internal error');
  }
}
