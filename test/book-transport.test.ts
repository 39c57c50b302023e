/**
 * The drill's book runs in process (BookReplicas' `inProcess`: no sockets, scripts/local/
 * in-process-transport.ts). Its answers are only as honest as they are the HTTP transport's: the
 * accept path decides "not taken" or "outcome unknown" from the SDK's error names and codes
 * (lambda/shared/write-errors.ts), so every fault the emulator injects must end in the same
 * outcome, with the same reason and the same copies stored, through either transport. The runs
 * happen in a plain Node process (test/helpers/book-transport-runs.ts says why).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BookReplicas } from '../scripts/local/book-replicas';
import { FAULTS, type Run } from './helpers/book-transport-runs';

const ROOT = path.join(__dirname, '..');
let runs: { fault: string; http: Run; inProcess: Run }[] = [];

beforeAll(() => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'helpers', 'book-transport-runs.ts')],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  runs = JSON.parse(out);
}, 120_000);

it.each(FAULTS.map(([name]) => name))(
  '%s: the same outcome and the same stored copies in process as over HTTP',
  (name) => {
    const run = runs.find((r) => r.fault === name)!;
    expect(run.inProcess).toEqual(run.http);
  },
);

it('the faults tell outcomes apart (the comparison is not between two empty answers)', () => {
  const kinds = new Set(runs.map((r) => String(r.http.outcome.kind)));
  expect([...kinds].sort()).toEqual(['created', 'not-taken', 'unknown']);
});

it('the in-process transport answers without a socket (its endpoint is no address)', async () => {
  const book = await BookReplicas.start({ regions: ['us-east-1', 'eu-west-1'], inProcess: true });
  const client = await book.client('us-east-1', 'eu-west-1');
  try {
    expect((await client.config.endpoint?.())?.hostname).toBe('dynamodb.eu-west-1.in-process');
    await expect(
      client.send(new GetItemCommand({ TableName: book.tableName, Key: { pk: { S: 'x' } }, ConsistentRead: true })),
    ).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
  } finally {
    client.destroy();
    await book.stop();
  }
});
