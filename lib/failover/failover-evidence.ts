import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Namer } from '../config/naming';

export interface FailoverEvidenceArgs {
  /** The region the table lives in (the orchestrator's, the secondary): the component's provider. */
  readonly region: string;
  readonly name: Namer;
}

/**
 * The failover path's shared record (lambda/orchestrator/store.ts): canary probe results, the
 * promotion lease, the fence record (which regions' traffic dials the orchestrator moved) and
 * the orchestrator's action journal. Only the failover path reads and writes it (the order API
 * no longer does: the order book's writer item is its fence). A component of its own, beside
 * the failover stack rather than inside it, so that its URN stays what it was when the order API
 * read it: it holds the fence record a failback reads.
 * Conditions use explicit time attributes; TTL only sweeps old items.
 */
export class FailoverEvidence extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  /** Where the table is (its API is regional). */
  readonly region: string;

  constructor(name: string, args: FailoverEvidenceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:failover:FailoverEvidence', name, {}, opts);
    const n = args.name;
    this.region = args.region;
    this.table = new aws.dynamodb.Table(
      n('evidenceTable'),
      {
        name: n('evidenceTable'),
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'pk',
        rangeKey: 'sk',
        attributes: [
          { name: 'pk', type: 'S' },
          { name: 'sk', type: 'S' },
        ],
        ttl: { attributeName: 'ttl', enabled: true },
        serverSideEncryption: { enabled: true },
        // The action journal is the record of what the orchestrator changed.
        pointInTimeRecovery: { enabled: true },
      },
      { parent: this },
    );
    this.registerOutputs({ evidenceTableName: this.table.name });
  }
}
