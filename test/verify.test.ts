/**
 * `npm run verify` against the local server (the order API, its live book and ledger, as
 * `npm run serve` runs them) for both regions' names, with RDS and SNS answered by SDK mocks, and
 * its target read from the real program's outputs.
 */
import * as net from 'net';
import { RDSClient, DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { LOCAL_BOOK_TABLE } from '../scripts/local/local-book';
import { CLIENTS } from '../scripts/local/trading-db';
import { LocalApi, startLocalApi } from '../scripts/serve';
import { StackOutputsError } from '../scripts/stack-outputs';
import { EXIT, main } from '../scripts/verify';
import { verifyOrderId, verifyTarget, VerifyIo, VerifyTarget } from '../scripts/verify/stack-checks';
import { named, plan } from './helpers/plan';

jest.setTimeout(60_000);

let outputs: Record<string, unknown>;
let target: VerifyTarget;
let api: LocalApi;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  // The server starts (its database in other processes) while the plan runs or is awaited.
  const [run] = await Promise.all([plan(), startLocalApi(0).then((started) => (api = started))]);
  outputs = run.outputs;
  target = verifyTarget(outputs);
}, 240_000);
afterAll(() => api?.close());

/** A loopback URL nothing listens on. */
async function closedUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('what verify reads from the stack outputs', () => {
  it('finds both regions, every topic, the book and the global cluster in the program outputs', async () => {
    const run = await plan();
    expect(target.primaryRegion).toBe('us-east-1');
    expect(target.regionalApiNames).toEqual({
      'us-east-1': 'use1.dev.tap-trading.example.com',
      'eu-west-1': 'euw1.dev.tap-trading.example.com',
    });
    // Every SNS topic of the plan is an alarm or failover topic, and verify checks each once.
    const topics = run.resources.filter((r) => r.type === 'aws:sns/topic:Topic');
    expect(target.topicArns).toHaveLength(topics.length);
    expect(target.orderBookTableName).toBe(named(run, 'aws:dynamodb/table:Table', 'ddb-order-book-dev').inputs.name);
  });

  it('names every output a stack from an older version lacks', () => {
    const { regionalApiNames: _n, orderBookTableName: _t, ...older } = outputs;
    expect(() => verifyTarget(older)).toThrow(StackOutputsError);
    expect(() => verifyTarget(older)).toThrow(
      /regionalApiNames.*orderBookTableName|orderBookTableName.*regionalApiNames/,
    );
  });
});

describe('verify against the local server', () => {
  function io(overrides: Partial<VerifyIo> & { pending?: string[]; writerArn?: string } = {}): VerifyIo {
    const rds = mockClient(new RDSClient({ region: 'us-east-1' }));
    rds.on(DescribeGlobalClustersCommand).resolves({
      GlobalClusters: [
        {
          GlobalClusterMembers: [
            { DBClusterArn: overrides.writerArn ?? String(outputs.primaryClusterArn), IsWriter: true },
            { DBClusterArn: String(outputs.secondaryClusterArn), IsWriter: false },
          ],
        },
      ],
    });
    const sns = mockClient(new SNSClient({ region: 'us-east-1' }));
    sns.on(ListSubscriptionsByTopicCommand).callsFake(({ TopicArn }: { TopicArn: string }) => ({
      Subscriptions: [
        {
          TopicArn,
          Protocol: 'email',
          SubscriptionArn: overrides.pending?.includes(TopicArn) ? 'PendingConfirmation' : `${TopicArn}:sub-1`,
        },
      ],
    }));
    return {
      fetch,
      urlFor: () => api.url,
      credentials: { clientId: CLIENTS.deskA.clientId, key: CLIENTS.deskA.key },
      dynamodb: (region) => api.book.client(region),
      rds: () => rds as unknown as RDSClient,
      sns: () => sns as unknown as SNSClient,
      now: () => new Date(),
      timeoutMs: 5_000,
      ...overrides,
    };
  }
  const run = async (argv: string[], ioValue: VerifyIo) => {
    const lines: string[] = [];
    // The plan's outputs, with the local book's table (what the local server writes).
    const local = { ...outputs, orderBookTableName: LOCAL_BOOK_TABLE };
    const code = await main(
      ['--stack', 'dev', ...argv],
      (l) => lines.push(l),
      ioValue,
      () => local,
    );
    return { code, text: lines.join('\n') };
  };

  it('passes a healthy stack: both regions, a live order read back, the writers, every topic', async () => {
    const { code, text } = await run([], io());
    expect(text).toMatch(/^ok +health +eu-west-1 /m);
    expect(text).toMatch(/^ok +health +us-east-1 /m);
    expect(text).toMatch(/^ok +signed order .*taken live \(201\) and read back/m);
    expect(text).toMatch(/^ok +book writer +eu-west-1 +writer us-east-1, epoch 1, cross-region durability/m);
    expect(text).toMatch(/^ok +book writer +us-east-1 /m);
    expect(text).toMatch(/^ok +aurora writer +us-east-1 /m);
    expect(text.match(/^ok +alarm subscriptions/gm)).toHaveLength(target.topicArns.length);
    expect(text).toContain(`all ${4 + 1 + target.topicArns.length + 1} checks passed`);
    expect(code).toBe(EXIT.ok);
  });

  it('fails, naming each, a region that does not answer, an unconfirmed topic, a refused signature and a moved writer', async () => {
    const pendingTopic = target.topicArns[0];
    const closed = await closedUrl();
    const { code, text } = await run(
      [],
      io({
        pending: [pendingTopic],
        urlFor: (host) => (host.startsWith('euw1.') ? closed : api.url),
        credentials: { clientId: CLIENTS.deskA.clientId, key: 'not-the-key-0123456789abcdef0123456789' },
        writerArn: String(outputs.secondaryClusterArn),
      }),
    );
    expect(text).toMatch(/^FAIL +health +eu-west-1 +TypeError: fetch failed \(ECONNREFUSED\)/m);
    expect(text).toMatch(/^ok +health +us-east-1 /m);
    expect(text).toMatch(/^FAIL +signed order .*answered 401/m);
    expect(text).toMatch(
      new RegExp(
        `^FAIL +alarm subscriptions .*${pendingTopic.split(':').pop()}: 1 subscription\\(s\\) pending confirmation`,
        'm',
      ),
    );
    expect(text).toMatch(/^FAIL +aurora writer +us-east-1 +.*aurora-euw1-dev writes; the book's writer is us-east-1/m);
    expect(text).toContain('4 of');
    expect(code).toBe(EXIT.failed);
  });

  it('says how to sign the order when no client key is given, and --no-order skips it', async () => {
    const { credentials: _c, ...unsigned } = io();
    const without = await run([], unsigned);
    expect(without.text).toMatch(/^FAIL +signed order .*set TAP_CLIENT_ID and TAP_CLIENT_KEY/m);
    expect(without.code).toBe(EXIT.failed);
    const skipped = await run(['--no-order'], unsigned);
    expect(skipped.text).not.toContain('signed order');
    expect(skipped.code).toBe(EXIT.ok);
  });

  it('refuses bad arguments and unreadable outputs before any call', async () => {
    const calls: string[] = [];
    const counting = io({
      fetch: ((...a: Parameters<typeof fetch>) => (calls.push(String(a[0])), fetch(...a))) as typeof fetch,
    });
    const lines: string[] = [];
    expect(
      await main(
        [],
        (l) => lines.push(l),
        counting,
        () => outputs,
      ),
    ).toBe(EXIT.usage);
    expect(lines.join('\n')).toContain('--stack is required');
    const unreadable = await main(
      ['--stack', 'gone'],
      (l) => lines.push(l),
      counting,
      () => {
        throw new StackOutputsError('`pulumi stack output --json --stack gone` failed');
      },
    );
    expect(unreadable).toBe(EXIT.unreadable);
    expect(lines.join('\n')).toContain('verify: `pulumi stack output --json --stack gone` failed');
    expect(calls).toEqual([]);
  });
});

describe('the verify order id', () => {
  it('is unique per run, valid as a clientOrderId and says where it came from', () => {
    const id = verifyOrderId(new Date('2026-12-05T13:45:07.123Z'), 0.5);
    expect(id).toBe('verify-20261205T134507Z-8000');
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(verifyOrderId(new Date('2026-12-05T13:45:07Z'), 0)).toBe('verify-20261205T134507Z-0000');
  });
});
