/**
 * Facts of the order API's HTTP contract that the infrastructure and the RTO model rely on.
 * Imports nothing: the Pulumi program reads these without loading the function's runtime.
 */

/** A 503 (and a 429 from the limiter) tells the client to retry after this many seconds. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * `/health` answers within this: the ALB's health-check timeout is at least 2 s and Route 53
 * gives 2 s after connecting; the rest is left for the network and the Lambda invocation.
 */
export const HEALTH_DEADLINE_MS = 1_500;

/**
 * The header that names the client in the clear, beside the signed Credential: the service refuses
 * a request whose value differs from the signed client id (401), so what the load balancer's web
 * ACL counts per client (lib/security/web-acl.ts, a rate-based rule keyed on this header and the
 * source IP) is the client the service authenticates. WAF cannot read a value inside the
 * Authorization header, only whole headers.
 */
export const CLIENT_HEADER = 'x-tap-client';
