/**
 * How every AWS client of the failover path is built: the SDK's own retries (standard mode, with
 * backoff and throttling handling) and timeouts short enough that a dead endpoint costs seconds.
 */

/** Global Accelerator's API is served from us-west-2 only (a fact the infrastructure shares). */
export { GLOBAL_ACCELERATOR_API_REGION } from '../facts/global-accelerator';

/** Route 53's control plane (GetHealthCheckStatus) is signed for and served from us-east-1. */
export const ROUTE53_API_REGION = 'us-east-1';

/**
 * The failover record's DNS lookup: one try with a 2 s timeout (Node's dns Resolver options). The
 * answer corroborates, its absence never blocks, so a resolver that does not answer costs 2 s.
 */
export const DNS_RESOLVER_OPTIONS = { timeout: 2000, tries: 1 } as const;

export const SDK_MAX_ATTEMPTS = 3;
export const SDK_CONNECTION_TIMEOUT_MS = 2000;
export const SDK_REQUEST_TIMEOUT_MS = 5000;

export function sdkOptions(region?: string) {
  return {
    ...(region ? { region } : {}),
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: SDK_CONNECTION_TIMEOUT_MS, requestTimeout: SDK_REQUEST_TIMEOUT_MS },
  } as const;
}
