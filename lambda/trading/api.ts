/**
 * The order API, independent of how requests arrive (ALB -> Lambda, or node:http on EC2):
 * request in, response out, every outcome decided here once.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { JournalWriteError } from '../shared/journal';
import { classifyDbError, isDroppedConnection } from '../shared/postgres';
import { OrderInput, sameRequest, validateOrder } from './order';
import type { OrderStore } from './store';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Body bytes as received (already base64-decoded by the adapter). */
  readonly body?: Buffer;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Holds orders while the local database is read-only (the standby before promotion). */
export interface OrderQueue {
  enqueue(order: OrderInput): Promise<void>;
}

export interface ApiDeps {
  readonly store: Pick<OrderStore, 'insert' | 'findById' | 'health'>;
  readonly queue?: OrderQueue;
  readonly region: string;
  readonly role: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Forget cached credentials: called once on an authentication failure, then retried. */
  readonly refreshCredentials: () => void;
  readonly maxBodyBytes?: number;
}

export const MAX_BODY_BYTES = 16 * 1024;
export const RETRY_AFTER_SECONDS = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

const unavailable = (reason: string) =>
  json(503, { error: 'unavailable', reason }, { 'retry-after': String(RETRY_AFTER_SECONDS) });

/**
 * Run a database call. On an authentication failure re-read the credentials (rotated) and try
 * again; a pooled connection the server dropped is retried once on a fresh one.
 */
async function withDb<T>(deps: ApiDeps, fn: () => Promise<T>): Promise<T> {
  let refreshed = false;
  let reconnected = false;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      const failure = classifyDbError(e);
      if (failure === 'auth' && !refreshed) {
        deps.logger.warn('database refused the credentials; re-reading the secret (rotated?)');
        deps.refreshCredentials();
        refreshed = true;
      } else if (isDroppedConnection(e) && !reconnected) {
        reconnected = true;
      } else {
        throw e;
      }
    }
  }
}

async function createOrder(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') {
    return json(415, { error: 'unsupported media type', detail: 'send Content-Type: application/json' });
  }
  const size = req.body?.length ?? 0;
  const limit = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  if (size > limit) return json(413, { error: 'payload too large', detail: `at most ${limit} bytes` });
  if (size === 0) return json(400, { error: 'invalid order', errors: [{ field: '(body)', message: 'body is empty' }] });
  let body: unknown;
  try {
    body = JSON.parse(req.body!.toString('utf8'));
  } catch {
    return json(400, { error: 'invalid order', errors: [{ field: '(body)', message: 'body is not valid JSON' }] });
  }
  const validation = validateOrder(body);
  if (!validation.ok) return json(400, { error: 'invalid order', errors: validation.errors });
  const order = validation.order;

  try {
    const { order: stored, created } = await withDb(deps, () => deps.store.insert(order));
    if (!created && !sameRequest(stored, order)) {
      return json(409, { error: 'clientOrderId already used for a different order', order: stored });
    }
    deps.logger.info(created ? 'order accepted' : 'order replayed', {
      clientOrderId: order.clientOrderId,
      orderId: stored.id,
    });
    return json(created ? 201 : 200, stored);
  } catch (e) {
    // Rolled back: not stored here, maybe journaled. The same clientOrderId retried is safe.
    if (e instanceof JournalWriteError) {
      return unavailable('order journal unavailable: outcome unknown, retry with the same clientOrderId');
    }
    let failure = classifyDbError(e);
    // The writer endpoint is out: if the local cluster still answers it is read-only (the
    // standby before promotion, or the primary mid-failover), and the order can be queued.
    if (failure === 'unavailable' && (await answersReadOnly(deps))) failure = 'read-only';
    if (failure === 'read-only' && deps.queue) {
      try {
        await deps.queue.enqueue(order);
        deps.logger.warn('database read-only: order queued for the drainer', { clientOrderId: order.clientOrderId });
        return json(202, { status: 'queued', clientOrderId: order.clientOrderId, region: deps.region });
      } catch (queueError) {
        deps.logger.error('database read-only and the order queue failed', { error: String(queueError) });
        return unavailable('database read-only and order queue unavailable');
      }
    }
    if (failure === 'read-only') return unavailable('database is read-only (standby region before promotion)');
    if (failure === 'unavailable' || failure === 'auth') {
      deps.logger.error('database unavailable', { error: String(e) });
      return unavailable('database unavailable');
    }
    throw e;
  }
}

async function answersReadOnly(deps: ApiDeps): Promise<boolean> {
  try {
    return !(await deps.store.health()).writable;
  } catch {
    return false;
  }
}

async function getOrder(id: string, deps: ApiDeps): Promise<ApiResponse> {
  if (!UUID.test(id)) return json(400, { error: 'invalid order id', detail: 'order ids are UUIDs' });
  try {
    const order = await withDb(deps, () => deps.store.findById(id));
    return order ? json(200, order) : json(404, { error: 'order not found' });
  } catch (e) {
    if (classifyDbError(e) === 'unavailable') return unavailable('database unavailable');
    throw e;
  }
}

async function health(deps: ApiDeps): Promise<ApiResponse> {
  try {
    const { writable } = await withDb(deps, () => deps.store.health());
    return json(200, { status: 'ok', region: deps.region, role: deps.role, writable });
  } catch (e) {
    deps.logger.warn('health check: database did not answer', { error: String(e) });
    return json(503, { status: 'unavailable', region: deps.region, role: deps.role, writable: false });
  }
}

export async function handleRequest(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const path = req.path.replace(/\/+$/, '') || '/';
  const method = req.method.toUpperCase();
  const allow = (methods: string) => json(405, { error: 'method not allowed' }, { allow: methods });
  try {
    if (path === '/health') return method === 'GET' ? await health(deps) : allow('GET');
    if (path === '/orders') return method === 'POST' ? await createOrder(req, deps) : allow('POST');
    const match = /^\/orders\/([^/]+)$/.exec(path);
    if (match) return method === 'GET' ? await getOrder(decodeURIComponent(match[1]), deps) : allow('GET');
    return json(404, { error: 'not found' });
  } catch (e) {
    deps.logger.error('unhandled error', { error: e instanceof Error ? e.stack : String(e) });
    return json(500, { error: 'internal error' });
  }
}
