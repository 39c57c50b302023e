/**
 * CloudWatch metrics the functions emit and the alarms and dashboards read: one definition for
 * both sides. Imports nothing.
 */

/** Namespaces of the platform's custom metrics. */
export const METRIC_NAMESPACES = {
  /** The failover orchestrator's and the canaries' metrics (the orchestrator and canary functions). */
  failover: 'TAP/Failover',
  /** The journal auditor's metrics. */
  journal: 'TapOrderJournal',
} as const;

/** Journal auditor metric names (namespace `journal`, dimension `service`); alarms use these. */
export const AUDIT_METRICS = {
  confirmed: 'JournalConfirmed',
  recovered: 'JournalRecovered',
  voided: 'JournalVoided',
  waiting: 'JournalWaiting',
  parked: 'JournalParked',
  /** Age of each order still unreplicated when audited: the RPO exposure (alarm on Maximum). */
  waitingAge: 'JournalUnreplicatedAgeSeconds',
} as const;

/** Powertools publishes its service name as the `service` dimension of every metric. */
export const METRIC_SERVICES = {
  orchestrator: 'orchestrator',
  canary: 'canary',
  journalAuditor: 'journal-auditor',
} as const;
