/**
 * SCRAM-SHA-256 password verifiers as PostgreSQL stores them (RFC 5802, RFC 7677), computed
 * here so that `ALTER ROLE ... PASSWORD` carries the verifier and never the password: a failing
 * statement is logged by the server with its literals, and a verifier does not log anyone in.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'crypto';

/** PostgreSQL's default (`scram_iterations` before 16 is fixed at 4096). */
export const SCRAM_ITERATIONS = 4096;
export const SCRAM_SALT_BYTES = 16;

export interface ScramKeys {
  readonly clientKey: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/**
 * PostgreSQL runs the password through SASLprep and uses the raw bytes when that fails.
 * For printable ASCII SASLprep changes nothing; anything else would need the full
 * normalisation (RFC 4013), so it is refused rather than guessed at. Generated passwords
 * are printable ASCII.
 */
function assertPrintableAscii(password: string): void {
  if (password.length === 0 || !/^[\x20-\x7e]+$/.test(password)) {
    throw new Error('a SCRAM verifier is computed only for non-empty printable ASCII passwords');
  }
}

export function scramKeys(password: string, salt: Buffer, iterations = SCRAM_ITERATIONS): ScramKeys {
  assertPrintableAscii(password);
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const clientKey = hmac(saltedPassword, 'Client Key');
  return {
    clientKey,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmac(saltedPassword, 'Server Key'),
  };
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64 throughout, fresh salt. */
export function scramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(SCRAM_SALT_BYTES),
  iterations = SCRAM_ITERATIONS,
): string {
  const { storedKey, serverKey } = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
