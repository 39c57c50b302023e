/**
 * What `npm run keys` does to the API client keys map, as pure functions over its JSON text:
 * add a client, rotate (a second key beside the current one), revoke a key, list (never a
 * secret). Every result is checked with the service's own parser (lambda/trading/client-keys.ts),
 * so the tool cannot write a map the service would refuse.
 */
import { randomBytes } from 'crypto';
import { ClientLimits, MAX_KEYS_PER_CLIENT, parseClientKeys } from '../lambda/trading/client-keys';

type RawKey = { id: string; secret: string; notBefore?: string; notAfter?: string };
type RawClient = { keys: RawKey[]; limits: ClientLimits };
type RawMap = Record<string, RawClient>;

/** A new key: 32 random bytes, base64url (43 characters). */
export const newSecret = () => randomBytes(32).toString('base64url');

/** Key ids: the UTC time of issue to the second (sortable, unique per client in practice). */
export const newKeyId = (now: Date) =>
  now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

function read(text: string): RawMap {
  const parsed = parseClientKeys(text); // refuses a map that is not a JSON object
  if (parsed.problems.size > 0) {
    const list = [...parsed.problems].map(([id, p]) => `${id}: ${p}`).join('; ');
    throw new Error(`the client keys secret has malformed entries; fix them first (${list})`);
  }
  const raw = JSON.parse(text) as Record<string, RawClient | { key: string; limits: ClientLimits }>;
  // The { key } shorthand becomes a key with id "default", so it can be rotated.
  return Object.fromEntries(
    Object.entries(raw).map(([id, c]) => [
      id,
      'key' in c ? { keys: [{ id: 'default', secret: c.key }], limits: c.limits } : c,
    ]),
  );
}

function write(map: RawMap): string {
  const text = JSON.stringify(map);
  const parsed = parseClientKeys(text);
  if (parsed.problems.size > 0) throw new Error(`refusing to write: ${[...parsed.problems.values()].join('; ')}`);
  return text;
}

export interface OpResult {
  readonly text: string;
  /** What to hand to the client (the new secret), once: it is never shown again. */
  readonly issued?: { clientId: string; keyId: string; secret: string };
}

export function addClient(
  text: string,
  clientId: string,
  limits: ClientLimits,
  now: Date,
  secret = newSecret(),
): OpResult {
  const map = read(text);
  if (map[clientId]) throw new Error(`client ${clientId} exists: use rotate to give it a new key`);
  const keyId = newKeyId(now);
  map[clientId] = { keys: [{ id: keyId, secret }], limits };
  return { text: write(map), issued: { clientId, keyId, secret } };
}

/** A second key beside the current one: both sign until the old one is revoked. */
export function rotateClient(text: string, clientId: string, now: Date, secret = newSecret()): OpResult {
  const map = read(text);
  const client = map[clientId];
  if (!client) throw new Error(`no client ${clientId}`);
  if (client.keys.length >= MAX_KEYS_PER_CLIENT) {
    throw new Error(`client ${clientId} already has ${client.keys.length} keys: revoke one first`);
  }
  const keyId = newKeyId(now);
  if (client.keys.some((k) => k.id === keyId)) throw new Error(`key ${keyId} exists: try again in a second`);
  client.keys.push({ id: keyId, secret });
  return { text: write(map), issued: { clientId, keyId, secret } };
}

/** Remove one key; the client's last key removes the client. */
export function revokeKey(text: string, clientId: string, keyId: string): OpResult {
  const map = read(text);
  const client = map[clientId];
  if (!client || !client.keys.some((k) => k.id === keyId)) throw new Error(`no key ${keyId} for client ${clientId}`);
  client.keys = client.keys.filter((k) => k.id !== keyId);
  if (client.keys.length === 0) delete map[clientId];
  return { text: write(map) };
}

/** One line per key: client, key id, window, limits. Never a secret. */
export function listKeys(text: string): string[] {
  const map = read(text);
  return Object.entries(map).flatMap(([clientId, c]) =>
    c.keys.map(
      (k) =>
        `${clientId}\t${k.id}\t${k.notBefore ?? '-'}\t${k.notAfter ?? '-'}\t${c.limits.ratePerSecond}/s burst ${c.limits.burst}`,
    ),
  );
}
