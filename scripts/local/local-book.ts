/**
 * The live order book for `npm run serve` and `npm run load`: two in-process replicas (the
 * emulator in book-replicas.ts), one in each of the platform's regions, the writer item set to
 * `writer` with cross-region durability, the signing key in the local Secrets Manager, and the
 * environment that points the order API at it. `peerLatencyMs` is added to every call from one
 * region to the other's replica (the cross-region round trip).
 */
import { randomBytes } from 'crypto';
import { bookWriter, type BookReplicas as BookReplicasView } from '../../lambda/shared/book-writer';
import { PRIMARY_REGION, SECONDARY_REGION } from '../../lib/config/config-schema';
import { BookReplicas } from './book-replicas';
import type { FakeSecretsManager } from './secrets';

export const LOCAL_BOOK_TABLE = 'ddb-order-book-local';
const REGIONS = [PRIMARY_REGION, SECONDARY_REGION] as const;

export interface LocalBook {
  readonly replicas: BookReplicas;
  /** The order API's BOOK_* environment, for a service in `writer`'s region. */
  readonly env: Record<string, string>;
  /** The signing key (what the applier verifies items with). */
  readonly signingKey: Buffer;
  /** The replicas as callers in `from` reach them. */
  view(from: string): BookReplicasView;
  stop(): Promise<void>;
}

export async function startLocalBook(
  secrets: FakeSecretsManager,
  options: { writer?: string; peerLatencyMs?: number } = {},
): Promise<LocalBook> {
  const writer = options.writer ?? PRIMARY_REGION;
  const peer = REGIONS.find((r) => r !== writer)!;
  const replicas = await BookReplicas.start({ regions: [...REGIONS], tableName: LOCAL_BOOK_TABLE });
  for (const from of REGIONS)
    for (const to of REGIONS) if (from !== to) replicas.path(from, to).latencyMs = options.peerLatencyMs ?? 0;
  const clients = new Map<string, Awaited<ReturnType<BookReplicas['client']>>>();
  for (const from of REGIONS) for (const to of REGIONS) clients.set(`${from}->${to}`, await replicas.client(from, to));
  const view = (from: string): BookReplicasView => ({
    tableName: LOCAL_BOOK_TABLE,
    regions: REGIONS,
    client: (to) => {
      const c = clients.get(`${from}->${to}`);
      if (!c) throw new Error(`local book: no replica client ${from}->${to}`);
      return c;
    },
  });
  const moved = await bookWriter(view(writer)).moveWriter({ to: writer, fromEpoch: 0, durability: 'cross-region' });
  if (!moved.moved) throw new Error('local book: the writer item could not be written');
  const signingKey = randomBytes(32);
  const signingSecretArn = secrets.create('secret-book-signing-local', signingKey.toString('base64'), false);
  return {
    replicas,
    env: { BOOK_TABLE_NAME: LOCAL_BOOK_TABLE, BOOK_PEER_REGION: peer, BOOK_SIGNING_SECRET_ARN: signingSecretArn },
    signingKey,
    view,
    async stop() {
      for (const c of clients.values()) c.destroy();
      await replicas.stop();
    },
  };
}
