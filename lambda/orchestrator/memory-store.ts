/**
 * The evidence store in memory, for tests and the offline drill. It keeps the DynamoDB store's
 * contract (the same contract suite runs against both, the DynamoDB one on a local DynamoDB
 * implementation), including the part that matters under races: each conditional write checks
 * and writes in one step, and every call yields first, so concurrent callers interleave the way
 * requests to a remote table do.
 */
import type { ProbeRecord } from './gate';
import { FenceMarks, type EvidenceStore, type FenceRecord } from './store';

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InMemoryEvidenceStore extends FenceMarks implements EvidenceStore {
  readonly probes = new Map<string, ProbeRecord[]>();
  readonly leases = new Map<string, { owner: string; leaseUntil: number }>();
  readonly onces = new Map<string, number>();
  readonly fences = new Map<string, FenceRecord>();
  readonly journals = new Map<string, { at: number; entry: Record<string, unknown> }[]>();

  async recordProbe(target: string, probe: ProbeRecord): Promise<void> {
    await yieldTurn();
    const list = this.probes.get(target) ?? [];
    // Same key as the table (start time, vantage and target): a rewrite replaces, never duplicates.
    const kept = list.filter(
      (p) => !(p.startedAt === probe.startedAt && p.vantage === probe.vantage && p.target === probe.target),
    );
    this.probes.set(target, [...kept, { ...probe }]);
  }

  async probesSince(target: string, since: number): Promise<ProbeRecord[]> {
    await yieldTurn();
    return (this.probes.get(target) ?? [])
      .filter((p) => p.startedAt > since)
      .sort(
        (a, b) => a.startedAt - b.startedAt || a.vantage.localeCompare(b.vantage) || a.target.localeCompare(b.target),
      )
      .map((p) => ({ vantage: p.vantage, target: p.target, startedAt: p.startedAt, layer: p.layer, detail: p.detail }));
  }

  async acquireLease(name: string, owner: string, now: number, durationMs: number): Promise<boolean> {
    await yieldTurn();
    const held = this.leases.get(name);
    if (held && !(held.leaseUntil < now)) return false;
    this.leases.set(name, { owner, leaseUntil: now + durationMs });
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await yieldTurn();
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }

  async claimOnce(name: string, now: number, ttlMs: number): Promise<boolean> {
    await yieldTurn();
    const until = this.onces.get(name);
    if (until !== undefined && !(until < now)) return false;
    this.onces.set(name, now + ttlMs);
    return true;
  }

  async getFence(name: string): Promise<FenceRecord | undefined> {
    await yieldTurn();
    const record = this.fences.get(name);
    return record && structuredClone(record);
  }

  async createFence(name: string, record: FenceRecord): Promise<FenceRecord> {
    await yieldTurn();
    const existing = this.fences.get(name);
    if (existing) return structuredClone(existing);
    this.fences.set(name, structuredClone(record));
    return record;
  }

  /** As DynamoDB's conditional update: only an existing record changes. */
  protected async setOnFence(name: string, patch: Partial<FenceRecord>): Promise<void> {
    await yieldTurn();
    const record = this.fences.get(name);
    if (!record)
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    this.fences.set(name, { ...record, ...patch });
  }

  async deleteFence(name: string, fencedAt: number): Promise<void> {
    await yieldTurn();
    if (this.fences.get(name)?.fencedAt === fencedAt) this.fences.delete(name);
  }

  async journal(name: string, at: number, entry: Record<string, unknown>): Promise<void> {
    await yieldTurn();
    this.journals.set(name, [...(this.journals.get(name) ?? []), { at, entry: structuredClone(entry) }]);
  }
}
