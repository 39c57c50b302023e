/**
 * What `npm run verify` checks on a deployed stack, each a line an operator can act on: both
 * regions healthy on their own names, a signed order taken live through the API and read back,
 * the book's writer and the Aurora writer in the primary region with cross-region durability, and
 * every alarm and failover topic with a confirmed subscription (an unconfirmed email reaches nobody).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeGlobalClustersCommand, type RDSClient } from '@aws-sdk/client-rds';
import { ListSubscriptionsByTopicCommand, type SNSClient, type Subscription } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { bookWriter, type Writer } from '../../lambda/shared/book-writer';
import { OrderClient, type ClientCredentials } from '../order-client';
import { byRegion, pickOutputs, type StackOutputs } from '../stack-outputs';

/** The outputs verify reads (lib/tap-stack.ts stackOutputs, lib/program.ts operatorOutputs). */
export const VERIFY_OUTPUTS = {
  apiName: z.string().min(1),
  regionalApiNames: byRegion,
  alarmTopicArns: byRegion,
  failoverTopicArns: byRegion,
  orderBookTableName: z.string().min(1),
  globalClusterId: z.string().min(1),
  primaryClusterArn: z.string().startsWith('arn:aws'),
};

export interface VerifyTarget {
  readonly apiName: string;
  readonly primaryRegion: string;
  /** Region -> that region's own API name (`use1.<domain>`). */
  readonly regionalApiNames: Readonly<Record<string, string>>;
  readonly topicArns: readonly string[];
  readonly orderBookTableName: string;
  readonly globalClusterId: string;
}

/** The region of an ARN (`arn:aws:<service>:<region>:...`). */
export const regionOfArn = (arn: string): string => arn.split(':')[3];

export function verifyTarget(outputs: StackOutputs): VerifyTarget {
  const o = pickOutputs(outputs, VERIFY_OUTPUTS);
  return {
    apiName: o.apiName,
    primaryRegion: regionOfArn(o.primaryClusterArn),
    regionalApiNames: o.regionalApiNames,
    topicArns: [...new Set([...Object.values(o.alarmTopicArns), ...Object.values(o.failoverTopicArns)])].sort(),
    orderBookTableName: o.orderBookTableName,
    globalClusterId: o.globalClusterId,
  };
}

export interface VerifyIo {
  readonly fetch: typeof fetch;
  /** The base URL a name is reached at (default `https://NAME`; the offline test maps names to the local server). */
  readonly urlFor: (hostname: string) => string;
  /** Signs the test order; absent, the order check fails and says how to give them. */
  readonly credentials?: ClientCredentials;
  readonly dynamodb: (region: string) => DynamoDBClient;
  readonly rds: (region: string) => Pick<RDSClient, 'send'>;
  readonly sns: (region: string) => Pick<SNSClient, 'send'>;
  readonly now: () => Date;
  /** Each HTTP call's bound (default 10 s). */
  readonly timeoutMs?: number;
}

export interface CheckResult {
  readonly check: string;
  /** The region the check is about, when it is about one. */
  readonly region?: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The error and, for fetch's "fetch failed", its cause (ECONNREFUSED, ENOTFOUND, a certificate error). */
const errorText = (e: unknown): string => {
  // Duck-typed, not instanceof: fetch's errors come from another realm under jest.
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (!err?.message) return String(e);
  const why = err.cause?.code ?? err.cause?.message;
  return `${err.name ?? 'Error'}: ${err.message}${why ? ` (${why})` : ''}`;
};

async function check(
  name: string,
  region: string | undefined,
  run: () => Promise<Omit<CheckResult, 'check' | 'region'>>,
) {
  try {
    return { check: name, ...(region && { region }), ...(await run()) };
  } catch (e) {
    return { check: name, ...(region && { region }), ok: false, detail: errorText(e) };
  }
}

async function health(target: VerifyTarget, io: VerifyIo, region: string, name: string): Promise<CheckResult> {
  return check('health', region, async () => {
    const url = new URL('/health', io.urlFor(name));
    const res = await io.fetch(url, { signal: AbortSignal.timeout(io.timeoutMs ?? 10_000) });
    await res.text();
    return res.status === 200
      ? { ok: true, detail: `${url.host}/health answered 200` }
      : {
          ok: false,
          detail:
            `${url.host}/health answered ${res.status}` +
            (region === target.primaryRegion ? ' (a fenced primary answers 503 until failback: npm run status)' : ''),
        };
  });
}

/** `verify-<UTC time>-<4 hex>`: unique, and says where it came from in the ledger. */
export function verifyOrderId(now: Date, random: number): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `verify-${stamp}-${Math.floor(random * 0x10000)
    .toString(16)
    .padStart(4, '0')}`;
}

/** The smallest order the API takes: one unit, a limit far below any market, named as a verify order. */
export const VERIFY_ORDER = {
  symbol: 'VERIFY',
  side: 'buy',
  type: 'limit',
  quantity: '1',
  limitPrice: '0.01',
} as const;

async function signedOrder(target: VerifyTarget, io: VerifyIo): Promise<CheckResult> {
  return check('signed order', undefined, async () => {
    if (!io.credentials)
      return {
        ok: false,
        detail: 'not sent: set TAP_CLIENT_ID and TAP_CLIENT_KEY (npm run keys -- add), or pass --no-order',
      };
    const client = new OrderClient(io.urlFor(target.apiName), io.credentials, io.fetch, {
      region: target.primaryRegion,
    });
    const clientOrderId = verifyOrderId(io.now(), Math.random());
    const placed = await client.placeOrder({ clientOrderId, ...VERIFY_ORDER });
    const id = (placed.body as { id?: unknown }).id;
    if (placed.status !== 201 || typeof id !== 'string')
      return {
        ok: false,
        detail: `POST /orders ${clientOrderId} answered ${placed.status}: ${JSON.stringify(placed.body)}`,
      };
    const read = await client.getOrder(id);
    return read.status === 200 && (read.body as { id?: unknown }).id === id
      ? { ok: true, detail: `order ${id} (${clientOrderId}) taken live (201) and read back` }
      : { ok: false, detail: `order ${id} taken (201) but GET answered ${read.status}: ${JSON.stringify(read.body)}` };
  });
}

async function writers(target: VerifyTarget, io: VerifyIo): Promise<CheckResult[]> {
  const regions = Object.keys(target.regionalApiNames).sort();
  const book = bookWriter({ tableName: target.orderBookTableName, regions, client: io.dynamodb });
  const seen = new Map<string, Writer | undefined>();
  const replicas = await Promise.all(
    regions.map((region) =>
      check('book writer', region, async () => {
        const w = await book.readWriter(region);
        seen.set(region, w);
        if (!w) return { ok: false, detail: `no writer item in ${region}'s replica of ${target.orderBookTableName}` };
        const said = `writer ${w.region}, epoch ${w.epoch}, ${w.durability} durability`;
        if (w.region !== target.primaryRegion)
          return { ok: false, detail: `${said}: the book has failed over (npm run status; docs/runbooks/failback.md)` };
        if (w.durability !== 'cross-region')
          return { ok: false, detail: `${said}: orders are acknowledged without a copy in the peer region` };
        return { ok: true, detail: said };
      }),
    ),
  );
  const aurora = await check('aurora writer', target.primaryRegion, async () => {
    const out = await io
      .rds(target.primaryRegion)
      .send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: target.globalClusterId }));
    const writer = out.GlobalClusters?.[0]?.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;
    if (!writer) return { ok: false, detail: `global cluster ${target.globalClusterId} has no writer member` };
    const region = regionOfArn(writer);
    const bookRegions = new Set([...seen.values()].map((w) => w?.region));
    return region === target.primaryRegion && bookRegions.size === 1 && bookRegions.has(region)
      ? { ok: true, detail: `${writer} writes, in the book writer's region` }
      : {
          ok: false,
          detail: `${writer} writes; the book's writer is ${[...bookRegions].map((r) => r ?? 'unread').join(' / ')}`,
        };
  });
  return [...replicas, aurora];
}

async function subscriptions(io: VerifyIo, topicArn: string): Promise<CheckResult> {
  const region = regionOfArn(topicArn);
  return check('alarm subscriptions', region, async () => {
    const all: Subscription[] = [];
    let next: string | undefined;
    do {
      const page = await io
        .sns(region)
        .send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }));
      all.push(...(page.Subscriptions ?? []));
      next = page.NextToken;
    } while (next);
    const topic = topicArn.split(':').pop();
    const confirmed = all.filter((s) => s.SubscriptionArn?.startsWith('arn:'));
    const pending = all.length - confirmed.length;
    const protocols = [...new Set(confirmed.map((s) => s.Protocol))].join(', ');
    if (confirmed.length > 0)
      return {
        ok: true,
        detail: `${topic}: ${confirmed.length} confirmed (${protocols})${pending ? `, ${pending} pending` : ''}`,
      };
    return {
      ok: false,
      detail: pending
        ? `${topic}: ${pending} subscription(s) pending confirmation: confirm the message AWS sent (docs/deploy.md)`
        : `${topic}: no subscription: alarms reach nobody (config alarmEmail or alarmHttpsEndpoint, docs/deploy.md)`,
    };
  });
}

/** Every check, in the order they print; a check that throws is a failed check, never a crash. */
export async function verifyStack(
  target: VerifyTarget,
  io: VerifyIo,
  options: { readonly order?: boolean } = {},
): Promise<CheckResult[]> {
  const regions = Object.entries(target.regionalApiNames).sort(([a], [b]) => a.localeCompare(b));
  const results = await Promise.all(regions.map(([region, name]) => health(target, io, region, name)));
  if (options.order !== false) results.push(await signedOrder(target, io));
  results.push(...(await writers(target, io)));
  results.push(...(await Promise.all(target.topicArns.map((arn) => subscriptions(io, arn)))));
  return results;
}

/** The checks as a plain table. */
export function checksTable(results: readonly CheckResult[]): string {
  const rows = results.map((r) => [r.ok ? 'ok' : 'FAIL', r.check, r.region ?? '-', r.detail]);
  const widths = [4, ...[1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), 6))];
  return rows.map((row) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  ')).join('\n');
}
