/**
 * node:http adapter for the order API: what the EC2 instances run (same core as the Lambda).
 * Every path but /orders reaches it from the internet, so no request may take it down: each
 * one ends in a response (or, when the client has gone, a log line), never in an exception
 * that escapes the request.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createServer, IncomingMessage, Server, ServerResponse, STATUS_CODES } from 'http';
import type { Duplex } from 'stream';
import { ApiDeps, ApiResponse, badRequest, handleRequest, json, MAX_BODY_BYTES, unavailable } from './api';
import { createRuntime, requireApiEnv } from './runtime';
import { SECURITY_HEADERS } from './security-headers';
import { splitTarget } from './signing';

/** Node's parser gives up on a client this slow (slowloris): 408 from Node itself. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 15_000;
/** Longer than the ALB's idle timeout (60 s), so the ALB, not us, closes idle connections (no 502s). */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * The path and query of a request target (RFC 9112 section 3.2) exactly as sent, or undefined
 * when it is not one we serve. Never through a URL parser's normalisation: `new URL('//[', base)`
 * throws, and `new URL('http://h/x/../orders').pathname` is `/orders`, which would route a path
 * the canonical-path check never saw. Absolute form must name a valid authority; its path is
 * taken as written.
 */
export function requestTarget(target: string): ReturnType<typeof splitTarget> | undefined {
  if (target.startsWith('/')) return splitTarget(target);
  const authority = /^https?:\/\/[^/?#]*/i.exec(target);
  if (!authority || !URL.canParse(target)) return undefined;
  const rest = target.slice(authority[0].length);
  return splitTarget(rest.startsWith('/') ? rest : `/${rest}`);
}

type BodyRead = { body: Buffer } | { tooLarge: true } | { gone: Error };

/** Read at most `limit` bytes; stop (without buffering the rest) once a body is too large. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve({ tooLarge: true });
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve({ body: Buffer.concat(chunks) }));
    // The client closed before sending the body it announced: 'error' (ECONNRESET "aborted").
    req.once('error', (error) => resolve({ gone: error }));
    req.once('close', () => req.complete || resolve({ gone: new Error('connection closed before the body ended') }));
  });
}

/** Headers as one string each (node gives arrays for repeated set-cookie only). */
function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The API's answer to one request; undefined when the client left before we could answer. */
async function answer(req: IncomingMessage, deps: ApiDeps): Promise<ApiResponse | undefined> {
  const target = requestTarget(req.url ?? '');
  if (target === undefined) {
    deps.logger.warn('bad request: malformed request target', { method: req.method, target: req.url?.slice(0, 256) });
    return badRequest('malformed request target');
  }
  const limit = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  if (Number(req.headers['content-length']) > limit) {
    return json(413, { error: 'payload too large', detail: `at most ${limit} bytes` });
  }
  const read = await readBody(req, limit);
  if ('gone' in read) {
    deps.logger.warn('client closed the connection before the request body ended', {
      method: req.method,
      path: target.path.slice(0, 256),
      error: read.gone.message,
    });
    return undefined;
  }
  if ('tooLarge' in read) return json(413, { error: 'payload too large', detail: `at most ${limit} bytes` });
  return handleRequest(
    {
      method: req.method ?? '',
      path: target.path,
      query: target.query,
      headers: flatHeaders(req),
      body: read.body.length > 0 ? read.body : undefined,
    },
    deps,
  );
}

function send(req: IncomingMessage, res: ServerResponse, response: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  // A body we did not read to its end cannot be followed by another request on this connection.
  const headers = req.complete ? response.headers : { ...response.headers, connection: 'close' };
  res.writeHead(response.statusCode, headers).end(response.body);
}

/** A raw HTTP/1.1 response written to a socket Node has handed over (no ServerResponse exists). */
function endSocket(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: STATUS_CODES[status]?.toLowerCase() });
  const lines = Object.entries({
    connection: 'close',
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
    ...SECURITY_HEADERS,
  }).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`, () => socket.destroy());
}

/** Node could not parse the request (or the client timed out): the status Node would send, plus a log line. */
function onClientError(error: Error & { code?: string }, socket: Duplex, deps: ApiDeps, busy: WeakMap<Duplex, number>) {
  deps.logger.warn('malformed or incomplete HTTP request', { code: error.code, error: error.message });
  // A response already on its way on this connection must not be cut into.
  if (error.code === 'ECONNRESET' || !socket.writable || (busy.get(socket) ?? 0) > 0) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT'
        ? 408
        : 400;
  endSocket(socket, status);
}

export function createApiServer(deps: ApiDeps): Server {
  // Responses in progress per connection (clientError must not write into them).
  const busy = new WeakMap<Duplex, number>();
  const server = createServer((req, res) => {
    // Set first, so every answer written through `res` carries them, whatever path writes it.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => busy.set(socket, (busy.get(socket) ?? 1) - 1));
    answer(req, deps)
      .catch((e: unknown) => {
        deps.logger.error('request failed', { error: e instanceof Error ? e.stack : String(e) });
        return unavailable('internal error');
      })
      .then((response) => (response ? send(req, res, response) : res.destroy()))
      .catch((e: unknown) => {
        deps.logger.error('response not sent', { error: String(e) });
        res.destroy();
      });
  });
  server.on('clientError', (error, socket) => onClientError(error, socket, deps, busy));
  // Node hands CONNECT requests over as raw sockets and closes them unanswered if nobody listens.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    deps.logger.warn('CONNECT request refused', { target: req.url });
    socket.on('error', () => socket.destroy());
    endSocket(socket, 405, { allow: 'GET, POST' });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}

if (require.main === module) {
  const { deps, logger } = createRuntime(requireApiEnv(process.env), {
    secrets: new SecretsManagerClient({}),
  });
  const port = Number(process.env.PORT ?? 8080);
  createApiServer(deps).listen(port, () => logger.info('trading service listening', { port }));
}
