/** What the orchestrator is given: its config, clock, store and AWS clients, so tests and the drill run it against fakes. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Arbiter } from '../shared/arbiter';
import type { Clock } from './clock';
import type { OrchestratorConfig } from './config';
import type { OrderBookControl } from './order-book';
import type { EvidenceStore } from './store';
import type { AcceleratorApi } from './traffic';

export interface OrchestratorDeps {
  readonly config: OrchestratorConfig;
  readonly clock: Clock;
  readonly store: EvidenceStore;
  readonly rds: Pick<RDSClient, 'send'>;
  /**
   * RDS through the primary region's (us-east-1) API, one short attempt: the primary cluster's
   * status and recent events, read before any AllowDataLoss promotion.
   */
  readonly primaryRds: Pick<RDSClient, 'send'>;
  /** DNS: the CNAME answers for a name (the failover record); absent, the record is not read. */
  readonly resolveCname?: (name: string) => Promise<string[]>;
  /** The order book's control item: the fast path moves its writer. */
  readonly book?: OrderBookControl;
  /**
   * The arbiter in us-west-2 (lambda/shared/arbiter.ts): a takeover (a regional move) takes it
   * first, and is refused while the primary's keeper holds its lease. Absent: no keeper deployed.
   */
  readonly arbiter?: Arbiter;
  /** Global Accelerator, through its us-west-2 API. */
  readonly ga: AcceleratorApi;
  /** Route 53 (served from us-east-1): optional, and unreadable is fine. */
  readonly route53?: Pick<Route53Client, 'send'>;
  readonly sns: Pick<SNSClient, 'send'>;
  readonly metrics: Pick<Metrics, 'addMetric'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Time left in this invocation (the Lambda context); unbounded when absent. */
  readonly remainingMs?: () => number;
  /** Owner id for the lease; a fresh UUID by default. */
  readonly newOwnerId?: () => string;
}
