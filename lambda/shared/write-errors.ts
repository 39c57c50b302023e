/**
 * What a failed write to the order book means for the order: refused (nothing applied, nothing
 * will be), or unknown (it may have been applied). A wrong "refused" is the worst answer there is
 * (a 503 "not taken" for an order that stands), so every rule that says "refused" rests on a fact
 * of the SDK or of DynamoDB, and anything else is "unknown".
 *
 * The facts, from the code of the SDK v3 this project runs (@smithy/* as installed):
 * - Node's http client reports a connection that was never made with the system call that failed:
 *   `syscall: 'getaddrinfo'` (DNS: ENOTFOUND, EAI_AGAIN) or `syscall: 'connect'` (ECONNREFUSED,
 *   ETIMEDOUT, EHOSTUNREACH, ENETUNREACH). No request byte is written before the socket connects.
 *   @smithy/node-http-handler passes these errors on as they are (`req.on("error")`), only
 *   renaming ECONNRESET/EPIPE/ETIMEDOUT to `TimeoutError` with their `code` kept.
 * - @smithy/node-http-handler's connection timeout (`connectionTimeout`) rejects with
 *   `name: 'TimeoutError'` and the message "the request socket did not establish a connection with
 *   the server within the configured timeout", and its timer is cleared on the socket's `connect`
 *   event (setConnectionTimeout): it fires only before the connection exists. The request (or
 *   socket) timeouts after that also say `TimeoutError`, with other messages: unknown.
 * - Credentials are resolved by the signing middleware, which runs before the HTTP handler sends
 *   anything: @smithy/property-provider's `CredentialsProviderError` means nothing was sent.
 * - The retry middleware (@smithy/middleware-retry) retries transient errors (5xx, timeouts,
 *   ECONNRESET/ECONNREFUSED/EPIPE/ETIMEDOUT: @smithy/service-error-classification) and records
 *   the number of attempts on the error it finally throws (`$metadata.attempts`). Only the last
 *   attempt's error is thrown: after more than one attempt an earlier one may have been applied
 *   (a 5xx or a reset reply). So a retried write is refused only when every attempt was
 *   (recordAttempts keeps them; without that record it is unknown).
 * - DynamoDB applies nothing when it answers 4xx ("Error handling with DynamoDB": 4xx errors are
 *   problems with the request; a 5xx leaves the outcome of a write unknown), and a
 *   TransactionCanceledException names each action's reason (index 0: the writer check, index 1:
 *   the order's put).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type WriteResult =
  | { readonly kind: 'written' }
  | { readonly kind: 'fenced' }
  | { readonly kind: 'exists'; readonly item?: Record<string, AttributeValue> }
  | { readonly kind: 'refused'; readonly reason: string; readonly overload: boolean }
  | { readonly kind: 'unknown'; readonly reason: string };

const OVERLOAD = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
]);

/** System calls that fail before a connection exists (Node's error `syscall`). */
const BEFORE_CONNECTION = new Set(['getaddrinfo', 'connect']);
/** Error codes that only a connection attempt or a name lookup can produce. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_TIMEOUT = /did not establish a connection with the server/;

interface SdkError {
  name?: string;
  code?: string;
  syscall?: string;
  message?: string;
  CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[];
  $metadata?: { httpStatusCode?: number; attempts?: number };
  /** Every attempt's error that reached the HTTP layer, this one last (recordAttempts). */
  $attemptErrors?: readonly unknown[];
}

/**
 * Keep each attempt's error on the error the client finally throws: a middleware in the
 * `deserialize` step runs inside the retry loop (it comes after `finalizeRequest`, where the
 * retry middleware is), once per attempt that reached the HTTP layer. An attempt that failed
 * before (the signer's credentials) is not recorded: it sent nothing.
 */
export function recordAttempts<C extends Pick<DynamoDBClient, 'middlewareStack'>>(client: C): C {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        const seen = ((context as { bookAttemptErrors?: unknown[] }).bookAttemptErrors ??= []);
        seen.push(e);
        if (e && typeof e === 'object') Object.assign(e, { $attemptErrors: seen });
        throw e;
      }
    },
    { step: 'deserialize', name: 'bookAttemptRecorder', priority: 'high' },
  );
  return client;
}

/** Why this error proves the request never left (undefined: it does not prove it). */
export function neverSent(e: unknown): string | undefined {
  const err = e as SdkError;
  if (!err) return undefined;
  if (err.name === 'CredentialsProviderError') return 'no credentials: nothing was sent';
  if (err.name === 'TimeoutError' && CONNECTION_TIMEOUT.test(err.message ?? ''))
    return 'replica unreachable (connect timeout)';
  if (BEFORE_CONNECTION.has(err.syscall ?? '') || NEVER_CONNECTED.has(err.code ?? '') || err.name === 'ECONNREFUSED') {
    return `replica unreachable (${err.code ?? err.name})`;
  }
  return undefined;
}

/** What a failed write means (see the facts above). */
export function classifyWriteError(e: unknown): WriteResult {
  const err = e as SdkError;
  if (err?.name === 'TransactionCanceledException' && Array.isArray(err.CancellationReasons)) {
    const [check, put] = err.CancellationReasons;
    if (check?.Code === 'ConditionalCheckFailed') return { kind: 'fenced' };
    if (put?.Code === 'ConditionalCheckFailed') return { kind: 'exists', item: put.Item };
  }
  const refused = refusal(err);
  if (!refused) return { kind: 'unknown', reason: String(err?.name ?? err?.code ?? e) };
  const attempts = err?.$metadata?.attempts ?? 1;
  if (attempts <= 1) return refused;
  // Retried: refused only if every earlier attempt that reached the HTTP layer was refused too.
  const recorded = err.$attemptErrors;
  const ambiguous = recorded?.filter((a) => a !== e).find((a) => refusal(a as SdkError) === undefined);
  if (recorded && ambiguous === undefined) return refused;
  const why = recorded ? String((ambiguous as SdkError)?.name ?? ambiguous) : 'attempts not recorded';
  return {
    kind: 'unknown',
    reason: `${refused.reason} on attempt ${attempts}: an earlier attempt may have been applied (${why})`,
  };
}

function refusal(err: SdkError): Extract<WriteResult, { kind: 'refused' }> | undefined {
  if (err?.name === 'TransactionCanceledException' && Array.isArray(err.CancellationReasons)) {
    const overload = err.CancellationReasons.some(
      (r) =>
        r.Code === 'TransactionConflict' || r.Code === 'ThrottlingError' || r.Code === 'ProvisionedThroughputExceeded',
    );
    return {
      kind: 'refused',
      reason: `transaction cancelled (${err.CancellationReasons.map((r) => r.Code).join(', ')})`,
      overload,
    };
  }
  const unsent = neverSent(err);
  if (unsent) return { kind: 'refused', reason: unsent, overload: false };
  if (OVERLOAD.has(err?.name ?? '')) return { kind: 'refused', reason: String(err.name), overload: true };
  const status = err?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { kind: 'refused', reason: String(err.name ?? status), overload: false };
  }
  return undefined;
}
