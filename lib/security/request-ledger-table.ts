import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Namer } from '../config/naming';
import { Statement } from './iam';

export interface RequestLedgerTableArgs {
  readonly name: Namer;
}

/**
 * The region's request ledger (lambda/trading/request-ledger.ts): each API client's rate bucket
 * and every nonce still inside the signing window, shared by the trading function and the EC2
 * fleet of the region, so a client's limit and the replay guard hold for the region rather than
 * per process. Regional on purpose, not a global table: its conditional writes must be atomic,
 * and conditions are not checked across replicas. TTL on `expiresAt` sweeps old items; the code
 * treats an expired item as absent itself, since TTL deletion lags. Nothing in it is worth
 * recovering: no point-in-time recovery.
 */
export class RequestLedgerTable extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  /** For the roles that verify requests: the two conditional writes, on this table only. */
  readonly statements: readonly Statement[];

  constructor(name: string, args: RequestLedgerTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:security:RequestLedgerTable', name, {}, opts);
    const n = args.name;
    this.table = new aws.dynamodb.Table(
      n('authLedgerTable'),
      {
        name: n('authLedgerTable'),
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'pk',
        attributes: [{ name: 'pk', type: 'S' }],
        ttl: { attributeName: 'expiresAt', enabled: true },
        serverSideEncryption: { enabled: true },
      },
      { parent: this },
    );
    this.statements = [
      { Sid: 'RequestLedger', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: this.table.arn },
    ];
    this.registerOutputs({ tableName: this.table.name });
  }
}
