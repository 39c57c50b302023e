/**
 * Headers on every response of the order API, whichever adapter answers and whatever the outcome:
 * HSTS (browsers that ever reach the API over HTTPS keep to HTTPS; ignored over plain HTTP),
 * no MIME sniffing of JSON, and no caching of orders by any browser or proxy.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** The response's headers (names in lower case) with the security headers, which win on a clash. */
export function withSecurityHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) merged[name.toLowerCase()] = value;
  return { ...merged, ...SECURITY_HEADERS };
}
