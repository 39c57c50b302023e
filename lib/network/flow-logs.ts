import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from '../config';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { serviceRole, sourceConditions } from '../security/iam';
import { RegionKeys } from '../security/region-keys';

export interface FlowLogsArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly vpc: aws.ec2.Vpc;
  /** The region's keys: the flow-log group uses the logs key. */
  readonly keys: RegionKeys;
  readonly account: pulumi.Output<aws.GetCallerIdentityResult>;
}

/**
 * Flow logs of all the VPC's traffic, children of the VPC: a log group under the region's logs
 * key, the role the flow-logs service writes through (this account's flow logs in this region
 * only), and the flow log, aggregated per minute.
 */
export function flowLogs(args: FlowLogsArgs): void {
  const { settings, region, name: n, vpc, account } = args;
  const flowLogGroup = new aws.cloudwatch.LogGroup(
    n('flowLogGroup'),
    {
      name: `/tap/${n('flowLogGroup')}`,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: args.keys.key('logs').arn,
    },
    { parent: vpc, ...DELETE_BEFORE_REPLACE },
  );
  const flowLogRole = serviceRole(
    {
      name: n('flowLogRole'),
      service: 'vpc-flow-logs.amazonaws.com',
      // Only flow logs of this account, in this region, may act through the role.
      trustCondition: sourceConditions(
        account.accountId,
        pulumi.interpolate`arn:aws:ec2:${region.region}:${account.accountId}:vpc-flow-log/*`,
      ),
      statements: [
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          Resource: [flowLogGroup.arn, pulumi.interpolate`${flowLogGroup.arn}:*`],
        },
      ],
    },
    { parent: vpc },
  );
  new aws.ec2.FlowLog(
    n('flowLog'),
    {
      vpcId: vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: flowLogGroup.arn,
      iamRoleArn: flowLogRole.ready.arn,
      maxAggregationInterval: 60,
      tags: { Name: n('flowLog') },
    },
    { parent: vpc },
  );
}
