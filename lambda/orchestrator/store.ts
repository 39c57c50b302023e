/**
 * The shared evidence store: probe results from every canary, the promotion lease, the record of
 * what the orchestrator changed, and once-only notices. One DynamoDB table (in the secondary
 * region) holds them all, keyed `pk`/`sk`; conditions use explicit time attributes, never
 * DynamoDB's TTL, which deletes expired items lazily (up to days later).
 */
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ClusterChange } from './decide';
import { PROBE_LAYERS, PROBE_TARGET_KINDS, type ProbeRecord } from './gate';

/** A traffic dial the orchestrator moved, with its value before, so a failback can put it back. */
export interface DialChange {
  readonly endpointGroupArn: string;
  readonly region: string;
  readonly before: number;
  readonly after: number;
}

export interface FenceRecord {
  readonly fencedAt: number;
  readonly reason: string;
  /** In the order they were applied; a restore undoes them in reverse. */
  readonly changes: readonly DialChange[];
  readonly failbackRequestedAt?: number;
  /**
   * FailoverGlobalCluster was refused (the reason AWS gave): the promotion falls back to approval
   * mode until an operator approves a retry or detaches and promotes by hand (docs: failover runbook).
   */
  readonly promotionRefused?: { readonly at: number; readonly reason: string };
  /** The database change AWS accepted from this orchestrator (in flight until the cluster is available again). */
  readonly clusterChange?: { readonly at: number; readonly operation: ClusterChange };
}

export interface EvidenceStore {
  recordProbe(target: string, probe: ProbeRecord): Promise<void>;
  /** Probes of `target` that started after `since` (ms), oldest first. */
  probesSince(target: string, since: number): Promise<ProbeRecord[]>;
  /** Take the lease unless another owner holds an unexpired one. True when taken. */
  acquireLease(name: string, owner: string, now: number, durationMs: number): Promise<boolean>;
  /** Give the lease back, only if `owner` still holds it. */
  releaseLease(name: string, owner: string): Promise<void>;
  /** True for the first caller until `ttlMs` passes (one notice per incident, not one per evaluation). */
  claimOnce(name: string, now: number, ttlMs: number): Promise<boolean>;
  getFence(name: string): Promise<FenceRecord | undefined>;
  /** Store the record unless one exists; returns the stored one (the first record wins). */
  createFence(name: string, record: FenceRecord): Promise<FenceRecord>;
  markFailbackRequested(name: string, at: number): Promise<void>;
  /** Record on the fence record that FailoverGlobalCluster was refused, and why. */
  markPromotionRefused(name: string, at: number, reason: string): Promise<void>;
  /** Record a FailoverGlobalCluster/SwitchoverGlobalCluster that AWS accepted, on an existing record. */
  markClusterChange(name: string, at: number, operation: ClusterChange): Promise<void>;
  /** Delete the record, only if it is still the one fenced at `fencedAt`. */
  deleteFence(name: string, fencedAt: number): Promise<void>;
  /** Append to the action journal (what was changed, when, why). */
  journal(name: string, at: number, entry: Record<string, unknown>): Promise<void>;
}

/** Probe results and journal entries expire from the table after these (TTL, epoch seconds). */
export const PROBE_RETENTION_MS = 24 * 3600 * 1000;
export const JOURNAL_RETENTION_MS = 400 * 24 * 3600 * 1000;

const ttl = (at: number) => Math.ceil(at / 1000);
const probeSortKey = (p: Pick<ProbeRecord, 'startedAt' | 'vantage' | 'target'>) =>
  `${new Date(p.startedAt).toISOString()}#${p.vantage}#${p.target}`;

/** The fence record's key (the orchestrator's own record of the traffic it moved). */
const fenceKey = (name: string) => ({ pk: `fence#${name}`, sk: 'fence' });

/**
 * A stored probe as the gate reads it. An item written before probes had layers (or by anything
 * else) reads as an inconclusive primary probe: it can never open the gate.
 */
function probeFromItem(item: Record<string, unknown>): ProbeRecord {
  const layer = PROBE_LAYERS.find((l) => l === item.layer) ?? 'inconclusive';
  const target = PROBE_TARGET_KINDS.find((t) => t === item.target) ?? 'primary';
  return {
    vantage: String(item.vantage),
    target,
    startedAt: Number(item.startedAt),
    layer,
    detail: String(item.detail ?? ''),
  };
}

/** A conditional write: true when it was applied, false when its condition did not hold. */
async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (e) {
    if ((e as { name?: string })?.name === 'ConditionalCheckFailedException') return false;
    throw e;
  }
}

/**
 * The marks set on an existing fence record, each through the store's one conditional update
 * (refused when there is no record).
 */
export abstract class FenceMarks {
  protected abstract setOnFence(name: string, patch: Partial<FenceRecord>): Promise<void>;

  async markFailbackRequested(name: string, at: number): Promise<void> {
    await this.setOnFence(name, { failbackRequestedAt: at });
  }

  async markClusterChange(name: string, at: number, operation: ClusterChange): Promise<void> {
    await this.setOnFence(name, { clusterChange: { at, operation } });
  }

  async markPromotionRefused(name: string, at: number, reason: string): Promise<void> {
    await this.setOnFence(name, { promotionRefused: { at, reason } });
  }
}

export class DynamoEvidenceStore extends FenceMarks implements EvidenceStore {
  constructor(
    private readonly db: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly table: string,
  ) {
    super();
  }

  async recordProbe(target: string, probe: ProbeRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `probe#${target}`,
          sk: probeSortKey(probe),
          ...probe,
          ttl: ttl(probe.startedAt + PROBE_RETENTION_MS),
        },
      }),
    );
  }

  async probesSince(target: string, since: number): Promise<ProbeRecord[]> {
    const probes: ProbeRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk > :since',
          ExpressionAttributeValues: { ':pk': `probe#${target}`, ':since': new Date(since).toISOString() },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.startedAt > since) {
          probes.push(probeFromItem(item));
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return probes;
  }

  acquireLease(name: string, owner: string, now: number, durationMs: number): Promise<boolean> {
    return applied(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `lease#${name}`, sk: 'lease', owner, leaseUntil: now + durationMs, ttl: ttl(now + durationMs) },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await applied(
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `lease#${name}`, sk: 'lease' },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }

  claimOnce(name: string, now: number, ttlMs: number): Promise<boolean> {
    return applied(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `once#${name}`, sk: 'once', until: now + ttlMs, ttl: ttl(now + ttlMs) },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  async getFence(name: string): Promise<FenceRecord | undefined> {
    const got = await this.db.send(
      new GetCommand({ TableName: this.table, Key: fenceKey(name), ConsistentRead: true }),
    );
    return got.Item ? fenceFromItem(got.Item) : undefined;
  }

  async createFence(name: string, record: FenceRecord): Promise<FenceRecord> {
    const created = await applied(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...fenceKey(name), ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (created) return record;
    const existing = await this.getFence(name);
    if (!existing) throw new Error(`fence record ${name} vanished while being created`);
    return existing;
  }

  /** Set one attribute of an existing fence record (refused when there is none). */
  protected async setOnFence(name: string, patch: Partial<FenceRecord>): Promise<void> {
    const [[attribute, value]] = Object.entries(patch);
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: fenceKey(name),
        UpdateExpression: 'SET #attribute = :value',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#attribute': attribute },
        ExpressionAttributeValues: { ':value': value },
      }),
    );
  }

  async deleteFence(name: string, fencedAt: number): Promise<void> {
    await applied(
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: fenceKey(name),
          ConditionExpression: 'fencedAt = :fencedAt',
          ExpressionAttributeValues: { ':fencedAt': fencedAt },
        }),
      ),
    );
  }

  async journal(name: string, at: number, entry: Record<string, unknown>): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `journal#${name}`,
          sk: `${new Date(at).toISOString()}#${Math.random().toString(36).slice(2, 10)}`,
          at,
          entry,
          ttl: ttl(at + JOURNAL_RETENTION_MS),
        },
      }),
    );
  }
}

function fenceFromItem(item: Record<string, unknown>): FenceRecord {
  return {
    fencedAt: item.fencedAt as number,
    reason: item.reason as string,
    changes: item.changes as DialChange[],
    ...(item.failbackRequestedAt !== undefined ? { failbackRequestedAt: item.failbackRequestedAt as number } : {}),
    ...(item.promotionRefused !== undefined
      ? { promotionRefused: item.promotionRefused as { at: number; reason: string } }
      : {}),
    ...(item.clusterChange !== undefined
      ? { clusterChange: item.clusterChange as { at: number; operation: ClusterChange } }
      : {}),
  };
}
