/**
 * One SQS record in, one decision out: log it, count it, and tell the batch processor whether
 * the message is done (returns: deleted) or stays for a retry (throws: a batch item failure).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { AUDIT_METRICS } from '../facts/metrics';
import { auditJournalMessage, AuditSettings, AuditStores, AuditVerdict } from './audit';

/** Thrown for a message that must stay in the journal (not replicated yet, database out). */
export class StillUnconfirmed extends Error {
  constructor(readonly verdict: AuditVerdict) {
    super(verdict.reason);
    this.name = 'StillUnconfirmed';
  }
}

export interface AuditorDeps {
  readonly stores: AuditStores;
  readonly settings: AuditSettings;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly metrics: Pick<Metrics, 'addMetric'>;
  /** Move a message an operator must look at to the parked queue (it is then deleted here). */
  readonly park: (body: string, reason: string) => Promise<void>;
  readonly now?: () => Date;
}

export async function auditRecord(record: Pick<SQSRecord, 'messageId' | 'body' | 'attributes'>, deps: AuditorDeps) {
  const sentAt = new Date(Number(record.attributes.SentTimestamp));
  const verdict = await auditJournalMessage(record.body, sentAt, deps.stores, deps.settings, deps.now?.());
  const context = {
    messageId: record.messageId,
    outcome: verdict.outcome,
    reason: verdict.reason,
    ageSeconds: Math.round(verdict.ageSeconds),
    clientId: verdict.entry?.clientId,
    clientOrderId: verdict.entry?.order.clientOrderId,
    orderId: verdict.entry?.order.id,
    writerRegion: verdict.entry?.writerRegion,
  };
  deps.metrics.addMetric(AUDIT_METRICS[verdict.outcome], MetricUnit.Count, 1);
  switch (verdict.outcome) {
    case 'confirmed':
      return verdict;
    case 'recovered':
      deps.logger.warn('journaled order recovered: it was missing from the promoted writer', context);
      return verdict;
    case 'voided':
      deps.logger.warn('journal entry voided: the order was never committed', context);
      return verdict;
    case 'parked':
      deps.logger.error('journal entry parked for an operator', { ...context, stored: verdict.stored });
      await deps.park(record.body, verdict.reason);
      return verdict;
    case 'waiting':
      deps.metrics.addMetric(AUDIT_METRICS.waitingAge, MetricUnit.Seconds, verdict.ageSeconds);
      deps.logger.info('journaled order not confirmed yet', context);
      throw new StillUnconfirmed(verdict);
  }
}
