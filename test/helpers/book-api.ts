/**
 * The order API as each region's processes run it, over the live order book on the two-replica
 * emulator (scripts/local/local-book.ts), with the local API clients' keys in an in-memory
 * Secrets Manager. No database: the order API reaches none.
 */
import { ORDER_PK_PREFIX } from '../../lambda/facts/book';
import { createRuntime, requireApiEnv, Runtime } from '../../lambda/trading/runtime';
import { type LocalBook, startLocalBook } from '../../scripts/local/local-book';
import { FakeSecretsManager } from '../../scripts/local/secrets';
import {
  createClientKeys,
  LOCAL_HOSTS,
  type LocalPlacement,
  SECONDARY_PLACEMENT,
} from '../../scripts/local/trading-db';

export interface BookApi {
  readonly secrets: FakeSecretsManager;
  readonly book: LocalBook;
  /** The order API's environment (the book's writer is this region). */
  readonly env: Record<string, string>;
  /** A fresh process of the region's order API (its own caches), `extraEnv` on top. */
  runtime(extraEnv?: Record<string, string>): Runtime;
  /** Orders in the writer's replica so far (distinct order keys in its stream). */
  orders(): number;
  stop(): Promise<void>;
}

export async function startBookApi(placement: LocalPlacement = SECONDARY_PLACEMENT): Promise<BookApi> {
  const secrets = new FakeSecretsManager();
  const book = await startLocalBook(secrets, { writer: placement.region });
  const env = {
    REGION_NAME: placement.region,
    REGION_ROLE: placement.role,
    CLIENT_KEYS_SECRET_ARN: createClientKeys(secrets),
    API_HOSTS: LOCAL_HOSTS.join(','),
    ...book.env,
  };
  return {
    secrets,
    book,
    env,
    runtime: (extraEnv = {}) =>
      createRuntime(requireApiEnv({ ...env, ...extraEnv }), {
        secrets: secrets.client,
        book: book.view(placement.region),
      }),
    orders: () =>
      new Set(
        book.replicas
          .stream(placement.region)
          .map((r) => r.dynamodb.Keys.pk?.S ?? '')
          .filter((pk) => pk.startsWith(ORDER_PK_PREFIX)),
      ).size,
    async stop() {
      await book.stop();
      secrets.restore();
    },
  };
}
