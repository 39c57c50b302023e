import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { Statement } from '../security/iam';
import { Namer } from '../config/naming';
import { SecureBucket, secureBucket } from '../security/secure-bucket';

/**
 * The Elastic Load Balancing account that delivers access logs in each region opened before
 * August 2022 (AWS, "Enable access logs for your Application Load Balancer", step 2). Regions
 * opened later take the `logdelivery.elasticloadbalancing.amazonaws.com` service principal
 * instead; these accounts do not exist there.
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
  'eu-west-1': '156460612806',
  'eu-west-2': '652711504416',
  'eu-west-3': '009996457667',
  'eu-central-1': '054676820928',
  'eu-north-1': '897822967062',
};

/** Who writes ALB access logs into a bucket of `region`: the region's ELB account, or the service principal. */
export function elbLogDeliveryPrincipal(region: string): Record<string, string> {
  const account = ELB_LOG_DELIVERY_ACCOUNTS[region];
  return account
    ? { AWS: `arn:aws:iam::${account}:root` }
    : { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' };
}

/** Key prefixes inside the archive, one per log source. */
export const LOG_PREFIX = { alb: 'alb', s3: 's3' } as const;

export interface LogArchiveArgs {
  readonly settings: Settings;
  readonly region: string;
  readonly name: Namer;
}

/**
 * One region's audit trail of access: a bucket receiving the ALB access logs and the S3
 * server access logs of every other bucket in the region (both must be in the same region as
 * what they log). It does not log itself (that would loop).
 */
export class LogArchive extends pulumi.ComponentResource {
  readonly archive: SecureBucket;

  constructor(name: string, args: LogArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:LogArchive', name, {}, opts);
    const { settings, region, name: n } = args;
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    this.archive = secureBucket(
      n('logBucket'),
      {
        // S3 names are global across accounts: the account id keeps them unique.
        name: account.accountId.apply((id) => n('logBucket', id)),
        forceDestroy: settings.dataProtection === 'ephemeral',
        statements: (arn): Statement[] => [
          {
            Sid: 'ElbDeliversAccessLogs',
            Principal: elbLogDeliveryPrincipal(region),
            Action: 's3:PutObject',
            Resource: pulumi.interpolate`${arn}/${LOG_PREFIX.alb}/AWSLogs/${account.accountId}/*`,
          },
          {
            Sid: 'S3DeliversServerAccessLogs',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: pulumi.interpolate`${arn}/${LOG_PREFIX.s3}/*`,
            Condition: { StringEquals: { 'aws:SourceAccount': account.accountId } },
          },
        ],
      },
      { parent: this },
    );
    this.registerOutputs({ bucket: this.archive.bucket.bucket });
  }

  /** Server access logging of another bucket of this region into the archive. */
  accessLogsOf(source: string): { target: SecureBucket; prefix: string } {
    return { target: this.archive, prefix: `${LOG_PREFIX.s3}/${source}` };
  }
}
