/**
 * The EC2 service (lambda/trading/server.ts) in a process of its own, for tests that must see
 * whether a request can take the process down. The API clients come from TEST_CLIENT_KEYS and the
 * book's signing key from TEST_BOOK_SIGNING_KEY (base64), through an in-memory Secrets Manager;
 * the book's replicas are reached at TEST_BOOK_ENDPOINTS (JSON: region -> URL of the emulator, as
 * the service's region reaches it); the rest of the environment is the service's own.
 * Prints "listening <port>" once it accepts connections; logs are JSON lines on stdout.
 */
import { awsBookReplicas, createRuntime, requireApiEnv } from '../../lambda/trading/runtime';
import { createApiServer } from '../../lambda/trading/server';
import { FakeSecretsManager } from '../../scripts/local/secrets';

const secrets = new FakeSecretsManager();
const keys = secrets.create('secret-api-clients-child', JSON.parse(process.env.TEST_CLIENT_KEYS ?? '{}'));
const signing = secrets.create('secret-book-signing-child', process.env.TEST_BOOK_SIGNING_KEY ?? '', false);
const endpoints = JSON.parse(process.env.TEST_BOOK_ENDPOINTS ?? '{}') as Record<string, string>;
const env = requireApiEnv({ ...process.env, CLIENT_KEYS_SECRET_ARN: keys, BOOK_SIGNING_SECRET_ARN: signing });
const { deps } = createRuntime(env, {
  secrets: secrets.client,
  book: awsBookReplicas(env.BOOK_TABLE_NAME, Object.keys(endpoints), endpoints),
});
const server = createApiServer(deps);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
