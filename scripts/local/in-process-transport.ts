/**
 * The book emulator without sockets (BookReplicas' `inProcess` option), for the drill, whose runs
 * spend most of their time on the book's calls: the same front (faults, locks, streams) and the
 * same dynalite, reached through function calls instead of two HTTP hops per call.
 *
 * - `dynaliteHandler`: a dynalite server's own request handler (validation, signature-header
 *   checks, actions), called with a request and a response object instead of a socket.
 * - `InProcessHandler`: an SDK v3 request handler (the client's `requestHandler`) that hands the
 *   signed request to the front, answers with the body's bytes, and fails as
 *   @smithy/node-http-handler fails (its code, as installed): a connection reset is its
 *   `req.on("error")` path, ECONNRESET renamed `TimeoutError` with the code kept; the request
 *   timeout is `TimeoutError` with code `ETIMEDOUT`; an abort is an `AbortError` (`buildAbortError`). lambda/shared/write-errors.ts reads exactly these, and
 *   test/book-transport.test.ts holds the two transports to the same answers.
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';

export interface Answer {
  status: number;
  body: string;
}

/** What the front did with a request: answered, reset the connection, or never answered. */
export type Outcome = Answer | 'reset' | 'hang';

type RequestListener = (req: unknown, res: unknown) => void;

/** Call `server`'s request handler (never listening) with a POST of `body` and `headers`. */
export function dynaliteHandler(
  server: http.Server,
): (headers: Record<string, string>, body: string) => Promise<Answer> {
  const [listener] = server.listeners('request') as RequestListener[];
  if (!listener) throw new Error('book emulator: the dynalite server has no request handler');
  return (headers, body) =>
    new Promise((resolve) => {
      const req = Object.assign(new EventEmitter(), { method: 'POST', url: '/', headers });
      const res = {
        statusCode: 200,
        setHeader: () => undefined,
        end: (data?: string) => resolve({ status: res.statusCode, body: data ?? '' }),
      };
      listener(req, res);
      req.emit('data', Buffer.from(body, 'utf8'));
      req.emit('end');
    });
}

/** The parts of a signed SDK request the front reads. */
interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

const abortError = (signal: AbortSignal): Error => {
  const reason: unknown = signal.reason;
  const error = reason instanceof Error || !reason ? new Error('Request aborted') : new Error(String(reason));
  if (reason instanceof Error) error.cause = reason;
  error.name = 'AbortError';
  return error;
};

/** The request body's bytes as @smithy/node-http-handler's writeBody takes them (string, Buffer or a Uint8Array view). */
function bodyText(body: unknown): string {
  if (!body) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  const view = body as Uint8Array;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('utf8');
}

export class InProcessHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(
    /** The front: what happens to a request with this `x-amz-target` and body. */
    private readonly serve: (target: string, body: string) => Promise<Outcome>,
    private readonly requestTimeoutMs: number,
  ) {}

  async handle(
    request: SignedRequest,
    // The SDK's own AbortSignal type (@smithy/types) is a structural subset of the DOM's.
    options: { abortSignal?: unknown } = {},
  ): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }> {
    const signal = options.abortSignal as AbortSignal | undefined;
    if (signal?.aborted) throw abortError(signal);
    const body = bodyText(request.body);
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
    let settled = false;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            Object.assign(
              new Error(
                `@smithy/node-http-handler - [ERROR] a request has exceeded the configured ${this.requestTimeoutMs} ms requestTimeout.`,
              ),
              { name: 'TimeoutError', code: 'ETIMEDOUT' },
            ),
          ),
        );
      }, this.requestTimeoutMs);
      const onAbort = () => finish(() => reject(abortError(signal!)));
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      this.serve(target, body).then(
        (outcome) => {
          if (outcome === 'hang') return; // the timeout or the caller's abort ends it
          if (outcome === 'reset')
            return finish(() =>
              reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' })),
            );
          finish(() =>
            resolve({
              response: {
                statusCode: outcome.status,
                headers: {
                  'content-type': 'application/x-amz-json-1.0',
                  'content-length': String(Buffer.byteLength(outcome.body)),
                },
                // The bytes themselves, not a stream of them: the SDK reads a body that is already a
                // Uint8Array as it is (@smithy/core protocols `collectBody`), the same answer without
                // a one-chunk Readable and its collector, which cost about a quarter of a call's CPU.
                body: Buffer.from(outcome.body, 'utf8'),
              },
            }),
          );
        },
        (e) => finish(() => reject(e)),
      );
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}
