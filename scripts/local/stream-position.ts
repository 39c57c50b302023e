/**
 * A book applier's place in its replica's stream, as the stream's event source mapping keeps it:
 * a batch from the position; on a partial batch failure (ReportBatchItemFailures) the position
 * moves to the record that failed and the batch is tried again later, so nothing is skipped.
 * The drill, `npm run serve` and `npm run load` feed the ledger through it.
 */
import type { ApplyReport, BookStreamRecord } from '../../lambda/book-applier/apply';
import type { StreamRecord } from './book-replicas';

/** Records per applier batch (the event source mapping's batch size). */
const BATCH_SIZE = 100;

export type Apply = (records: readonly BookStreamRecord[]) => Promise<ApplyReport>;

/** One region's applier position in its replica's stream. */
export class StreamPosition {
  position = 0;
  /** Batches that stopped at a record. */
  failures = 0;
  /** Failed batches in a row: the next try waits 1, 2, 4 ... up to `maxBackoffSeconds` (simulated). */
  private inARow = 0;
  private notBefore = 0;

  constructor(
    readonly region: string,
    private readonly records: () => readonly StreamRecord[],
    private readonly apply: Apply,
    private readonly maxBackoffSeconds = 16,
  ) {}

  /** Something changed that may let the batch through (a promotion, a link back): the next poll tries at once. */
  retrySoon(): void {
    this.inARow = 0;
    this.notBefore = 0;
  }

  get behind(): number {
    return this.records().length - this.position;
  }

  /** One batch from the position, unless backing off; true when it applied every record it was given. */
  async poll(now = 0): Promise<boolean> {
    const batch = this.records().slice(this.position, this.position + BATCH_SIZE);
    if (batch.length === 0 || now < this.notBefore) return true;
    const report = await this.apply(batch);
    if (report.failedFrom === undefined) {
      this.position += batch.length;
      this.inARow = 0;
      return true;
    }
    this.failures++;
    this.notBefore = now + Math.min(this.maxBackoffSeconds, 2 ** this.inARow++) * 1000;
    this.position += Math.max(
      0,
      batch.findIndex((r) => r.dynamodb.SequenceNumber === report.failedFrom),
    );
    return false;
  }
}
