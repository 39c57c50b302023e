/** The events the orchestrator accepts, and what each one asks of it. */

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

export type Trigger = 'schedule' | 'alarm' | 'approve-failover' | 'switchover' | 'failback';

/** What started this invocation; `undefined` for an alarm returning to OK (nothing to do). */
export function triggerOf(event: unknown): Trigger | undefined {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.source === 'schedule') return 'schedule';
  if (e.action === 'approve-failover' || e.action === 'switchover' || e.action === 'failback') return e.action;
  const records = e.Records as { EventSource?: string; Sns?: { Message?: string } }[] | undefined;
  if (Array.isArray(records) && records[0]?.EventSource === 'aws:sns') {
    let message: { NewStateValue?: string };
    try {
      message = JSON.parse(records[0].Sns?.Message ?? '');
    } catch {
      throw new InvalidEventError('SNS message is not a CloudWatch alarm notification');
    }
    if (message.NewStateValue === 'ALARM') return 'alarm';
    if (message.NewStateValue === 'OK' || message.NewStateValue === 'INSUFFICIENT_DATA') return undefined;
    throw new InvalidEventError('SNS message is not a CloudWatch alarm notification');
  }
  throw new InvalidEventError(
    'expected {"source":"schedule"}, {"action":"approve-failover"|"switchover"|"failback"} or an SNS alarm notification',
  );
}
