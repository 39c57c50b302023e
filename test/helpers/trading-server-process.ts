/**
 * The EC2 service (lambda/trading/server.ts) in a process of its own, for tests that must see
 * whether a request can take the process down. Credentials come from TEST_DB_CREDENTIALS and the
 * API clients from TEST_CLIENT_KEYS, through an in-memory Secrets Manager; the rest of the
 * environment is the service's own.
 * Prints "listening <port>" once it accepts connections; logs are JSON lines on stdout.
 */
import { createRuntime, requireApiEnv } from '../../lambda/trading/runtime';
import { createApiServer } from '../../lambda/trading/server';
import { FakeSecretsManager } from '../../scripts/local/secrets';

const secrets = new FakeSecretsManager();
const arn = secrets.create('secret-db-app-child', JSON.parse(process.env.TEST_DB_CREDENTIALS ?? '{}'));
const keys = secrets.create('secret-api-clients-child', JSON.parse(process.env.TEST_CLIENT_KEYS ?? '{}'));
const { deps } = createRuntime(requireApiEnv({ ...process.env, DB_SECRET_ARN: arn, CLIENT_KEYS_SECRET_ARN: keys }), {
  secrets: secrets.client,
});
const server = createApiServer(deps);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
