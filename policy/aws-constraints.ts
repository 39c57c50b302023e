/**
 * What AWS (and the Terraform AWS provider that @pulumi/aws wraps) accepts in the inputs the
 * program plans: free text, physical names, tags and ARNs. Mocks accept anything; these rules
 * are the part of the real APIs' validation that can be read off a planned resource. Each rule
 * names the page (AWS API reference) or provider validator it encodes.
 *
 * A rule applies to the inputs a path selects: `a.b` walks objects, `a[]` every element of an
 * array, `a.*` every value of a map and `a.#` every key of a map.
 */

import { FIS_INPUT_RULES } from './fis-constraints';
import type { InputRule, TextConstraint } from './input-rule';

export type { InputRule, TextConstraint };

const API = (service: string, page: string) =>
  `https://docs.aws.amazon.com/${service}/latest/APIReference/${page}.html`;

/** EC2's character set for security-group names, descriptions and rule descriptions (VPC). */
const EC2_SG_TEXT = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
/** The tag character set every tagging service accepts (letters, digits, spaces, `_ . : / = + - @`). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** RDS identifiers: a letter first, then letters, digits and single hyphens, no hyphen at the end. */
const RDS_IDENTIFIER = /^[A-Za-z](?:-?[A-Za-z0-9])*$/;
/** IAM names (users, roles, policies, instance profiles). */
const IAM_NAME = /^[\w+=,.@-]+$/;
/** Printable text without control characters (CloudWatch alarm and Auto Scaling names). */
// eslint-disable-next-line no-control-regex -- the rule is about control characters
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/u;

const TAGS = ['tags.#', 'tags.*'];

export const AWS_INPUT_RULES: readonly InputRule[] = [
  // --- EC2 security groups ---------------------------------------------------------------
  {
    what: 'security group description',
    types: ['aws:ec2/securityGroup:SecurityGroup'],
    paths: ['description'],
    constraint: { max: 255, pattern: EC2_SG_TEXT },
    source: `${API('AWSEC2', 'API_CreateSecurityGroup')} (GroupDescription, VPC character set)`,
  },
  {
    what: 'security group name',
    types: ['aws:ec2/securityGroup:SecurityGroup'],
    paths: ['name', 'namePrefix'],
    constraint: { min: 1, max: 255, pattern: EC2_SG_TEXT, reservedPrefix: 'sg-' },
    source: `${API('AWSEC2', 'API_CreateSecurityGroup')} (GroupName: cannot start with sg-)`,
  },
  {
    what: 'security group rule description (inline rules are checked by the provider at preview)',
    types: ['aws:ec2/securityGroup:SecurityGroup'],
    paths: ['ingress[].description', 'egress[].description'],
    constraint: { max: 255, pattern: EC2_SG_TEXT },
    source:
      'terraform-provider-aws internal/service/ec2/validate.go validSecurityGroupRuleDescription; ' +
      API('AWSEC2', 'API_IpRange'),
  },
  {
    what: 'security group rule description (refused by AuthorizeSecurityGroupIngress/Egress at create)',
    types: [
      'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
      'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
      'aws:ec2/securityGroupRule:SecurityGroupRule',
    ],
    paths: ['description'],
    constraint: { max: 255, pattern: EC2_SG_TEXT },
    source: `${API('AWSEC2', 'API_IpRange')}; ${API('AWSEC2', 'API_SecurityGroupRuleRequest')}`,
  },
  // --- tags -------------------------------------------------------------------------------
  {
    what: 'tag key',
    types: '*',
    paths: [...TAGS.slice(0, 1), 'defaultTags.tags.#', 'tagSpecifications[].tags.#', 'tags[].key'],
    constraint: { min: 1, max: 128, pattern: TAG_TEXT, reservedPrefix: 'aws:' },
    source: 'https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html (tag naming limits and requirements)',
  },
  {
    what: 'tag value',
    types: '*',
    paths: [...TAGS.slice(1), 'defaultTags.tags.*', 'tagSpecifications[].tags.*', 'tags[].value'],
    constraint: { max: 256, pattern: TAG_TEXT },
    source: 'https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html (tag naming limits and requirements)',
  },
  // --- CloudWatch ---------------------------------------------------------------------------
  {
    what: 'alarm name',
    types: ['aws:cloudwatch/metricAlarm:MetricAlarm', 'aws:cloudwatch/compositeAlarm:CompositeAlarm'],
    paths: ['name', 'alarmName'],
    constraint: { min: 1, max: 255, pattern: NO_CONTROL },
    source: `${API('AmazonCloudWatch', 'API_PutMetricAlarm')} (AlarmName: UTF-8, no ASCII control characters)`,
  },
  {
    what: 'alarm description',
    types: ['aws:cloudwatch/metricAlarm:MetricAlarm', 'aws:cloudwatch/compositeAlarm:CompositeAlarm'],
    paths: ['alarmDescription'],
    constraint: { max: 1024 },
    source: API('AmazonCloudWatch', 'API_MetricAlarm'),
  },
  {
    what: 'metric math query id',
    types: ['aws:cloudwatch/metricAlarm:MetricAlarm'],
    paths: ['metricQueries[].id'],
    constraint: { min: 1, max: 255, pattern: /^[a-z][A-Za-z0-9_]*$/ },
    source: `${API('AmazonCloudWatch', 'API_MetricDataQuery')} (Id: lowercase letter first; letters, digits, underscore)`,
  },
  {
    what: 'dashboard name',
    types: ['aws:cloudwatch/dashboard:Dashboard'],
    paths: ['dashboardName'],
    constraint: { min: 1, max: 255, pattern: /^[A-Za-z0-9_-]+$/ },
    source: API('AmazonCloudWatch', 'API_PutDashboard'),
  },
  {
    what: 'log group name',
    types: ['aws:cloudwatch/logGroup:LogGroup'],
    paths: ['name'],
    constraint: { min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ },
    source: API('AmazonCloudWatchLogs', 'API_CreateLogGroup'),
  },
  {
    what: 'metric filter name',
    types: ['aws:cloudwatch/logMetricFilter:LogMetricFilter'],
    paths: ['name'],
    constraint: { min: 1, max: 512, pattern: /^[^:*]*$/ },
    source: API('AmazonCloudWatchLogs', 'API_PutMetricFilter'),
  },
  {
    what: 'EventBridge rule name and description',
    types: ['aws:cloudwatch/eventRule:EventRule'],
    paths: ['name'],
    constraint: { min: 1, max: 64, pattern: /^[.\-_A-Za-z0-9]+$/ },
    source: API('eventbridge', 'API_PutRule'),
  },
  {
    what: 'EventBridge rule description',
    types: ['aws:cloudwatch/eventRule:EventRule'],
    paths: ['description'],
    constraint: { max: 512 },
    source: API('eventbridge', 'API_PutRule'),
  },
  // --- KMS, IAM, Lambda, Secrets Manager, SNS, SQS ------------------------------------------
  {
    what: 'KMS key description',
    types: ['aws:kms/key:Key'],
    paths: ['description'],
    constraint: { max: 8192 },
    source: API('kms', 'API_CreateKey'),
  },
  {
    what: 'KMS alias name',
    types: ['aws:kms/alias:Alias'],
    paths: ['name'],
    constraint: { min: 1, max: 256, pattern: /^alias\/[A-Za-z0-9/_-]+$/, reservedPrefix: 'alias/aws/' },
    source: API('kms', 'API_CreateAlias'),
  },
  {
    what: 'IAM role name',
    types: ['aws:iam/role:Role'],
    paths: ['name'],
    constraint: { min: 1, max: 64, pattern: IAM_NAME },
    source: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html',
  },
  {
    what: 'IAM role description',
    types: ['aws:iam/role:Role'],
    paths: ['description'],
    // eslint-disable-next-line no-control-regex -- IAM allows tab, LF and CR, nothing else below space
    constraint: { max: 1000, pattern: /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/ },
    source: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html',
  },
  {
    what: 'IAM inline policy and instance profile name',
    types: ['aws:iam/rolePolicy:RolePolicy', 'aws:iam/instanceProfile:InstanceProfile', 'aws:iam/policy:Policy'],
    paths: ['name'],
    constraint: { min: 1, max: 128, pattern: IAM_NAME },
    source:
      'https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html; https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html',
  },
  {
    what: 'Lambda function name',
    types: ['aws:lambda/function:Function'],
    paths: ['name'],
    constraint: { min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ },
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
  },
  {
    what: 'Lambda function description',
    types: ['aws:lambda/function:Function'],
    paths: ['description'],
    constraint: { max: 256 },
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
  },
  {
    what: 'Lambda permission statement id',
    types: ['aws:lambda/permission:Permission'],
    paths: ['statementId'],
    constraint: { min: 1, max: 100, pattern: /^[A-Za-z0-9_-]+$/ },
    source: 'https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html',
  },
  {
    what: 'secret name',
    types: ['aws:secretsmanager/secret:Secret'],
    paths: ['name'],
    constraint: { min: 1, max: 512, pattern: /^[A-Za-z0-9/_+=.@-]+$/ },
    source: API('secretsmanager', 'API_CreateSecret'),
  },
  {
    what: 'secret description',
    types: ['aws:secretsmanager/secret:Secret'],
    paths: ['description'],
    constraint: { max: 2048 },
    source: API('secretsmanager', 'API_CreateSecret'),
  },
  {
    what: 'SNS topic name',
    types: ['aws:sns/topic:Topic'],
    paths: ['name'],
    constraint: { min: 1, max: 256, pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/ },
    source: 'https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html',
  },
  {
    what: 'SNS display name',
    types: ['aws:sns/topic:Topic'],
    paths: ['displayName'],
    constraint: { max: 100 },
    source: 'https://docs.aws.amazon.com/sns/latest/dg/sns-create-topic.html (display name: up to 100 characters)',
  },
  {
    what: 'SQS queue name',
    types: ['aws:sqs/queue:Queue'],
    paths: ['name'],
    constraint: { min: 1, max: 80, pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/ },
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html',
  },
  // --- S3, ELB, RDS, DynamoDB --------------------------------------------------------------
  {
    what: 'S3 bucket name',
    types: ['aws:s3/bucket:Bucket', 'aws:s3/bucketV2:BucketV2'],
    paths: ['bucket'],
    constraint: {
      min: 3,
      max: 63,
      pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
      reservedPrefix: 'xn--',
      also: (v) =>
        v.includes('..')
          ? 'two adjacent periods'
          : /^\d+\.\d+\.\d+\.\d+$/.test(v)
            ? 'formatted as an IP address'
            : /-s3alias$|--ol-s3$/.test(v)
              ? 'a reserved suffix'
              : undefined,
    },
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html',
  },
  {
    what: 'load balancer and target group name',
    types: ['aws:lb/loadBalancer:LoadBalancer', 'aws:lb/targetGroup:TargetGroup'],
    paths: ['name'],
    constraint: { min: 1, max: 32, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, reservedPrefix: 'internal-' },
    source:
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html; API_CreateTargetGroup.html',
  },
  {
    what: 'RDS cluster, instance and global cluster identifier',
    types: [
      'aws:rds/cluster:Cluster',
      'aws:rds/clusterInstance:ClusterInstance',
      'aws:rds/globalCluster:GlobalCluster',
    ],
    paths: ['clusterIdentifier', 'identifier', 'globalClusterIdentifier'],
    constraint: { min: 1, max: 63, pattern: RDS_IDENTIFIER },
    source: `${API('AmazonRDS', 'API_CreateDBCluster')} (DBClusterIdentifier); ${API('AmazonRDS', 'API_CreateGlobalCluster')}`,
  },
  {
    what: 'RDS parameter group name',
    types: ['aws:rds/clusterParameterGroup:ClusterParameterGroup', 'aws:rds/parameterGroup:ParameterGroup'],
    paths: ['name'],
    constraint: { min: 1, max: 255, pattern: RDS_IDENTIFIER },
    source: API('AmazonRDS', 'API_CreateDBClusterParameterGroup'),
  },
  {
    what: 'RDS subnet group name',
    types: ['aws:rds/subnetGroup:SubnetGroup'],
    paths: ['name'],
    constraint: { min: 1, max: 255, pattern: /^[A-Za-z0-9._ -]+$/, reservedPrefix: 'default' },
    source: API('AmazonRDS', 'API_CreateDBSubnetGroup'),
  },
  {
    what: 'RDS group descriptions (required)',
    types: ['aws:rds/subnetGroup:SubnetGroup', 'aws:rds/clusterParameterGroup:ClusterParameterGroup'],
    paths: ['description'],
    constraint: { min: 1, max: 255 },
    source: `${API('AmazonRDS', 'API_CreateDBSubnetGroup')}; terraform-provider-aws rds validation (description length 255)`,
  },
  {
    what: 'Aurora PostgreSQL database name and master user name',
    types: ['aws:rds/cluster:Cluster'],
    paths: ['databaseName', 'masterUsername'],
    constraint: { min: 1, max: 63, pattern: /^[A-Za-z][A-Za-z0-9_]*$/ },
    source: `${API('AmazonRDS', 'API_CreateDBCluster')} (DatabaseName, MasterUsername for Aurora PostgreSQL)`,
  },
  {
    what: 'DynamoDB table name',
    types: ['aws:dynamodb/table:Table'],
    paths: ['name'],
    constraint: { min: 3, max: 255, pattern: /^[A-Za-z0-9_.-]+$/ },
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html',
  },
  // --- Global Accelerator, WAF, Route 53, Config, EC2 launch, Auto Scaling, Backup ---------
  {
    what: 'accelerator name',
    types: ['aws:globalaccelerator/accelerator:Accelerator'],
    paths: ['name'],
    constraint: { min: 1, max: 64, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/ },
    source: 'https://docs.aws.amazon.com/global-accelerator/latest/api/API_CreateAccelerator.html',
  },
  {
    what: 'web ACL, rule and metric names',
    types: ['aws:wafv2/webAcl:WebAcl'],
    paths: ['name', 'rules[].name'],
    constraint: { min: 1, max: 128, pattern: /^[\w-]+$/ },
    source: API('waf', 'API_CreateWebACL'),
  },
  {
    what: 'web ACL metric names',
    types: ['aws:wafv2/webAcl:WebAcl'],
    paths: ['visibilityConfig.metricName', 'rules[].visibilityConfig.metricName'],
    constraint: { min: 1, max: 255, pattern: /^[\w#:.\-/]+$/ },
    source: API('waf', 'API_VisibilityConfig'),
  },
  {
    what: 'web ACL description (no parentheses, no apostrophes)',
    types: ['aws:wafv2/webAcl:WebAcl'],
    paths: ['description'],
    constraint: { min: 1, max: 256, pattern: /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/ },
    source: API('waf', 'API_WebACL'),
  },
  {
    what: 'hosted zone comment',
    types: ['aws:route53/zone:Zone'],
    paths: ['comment'],
    constraint: { max: 256 },
    source: 'https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZoneConfig.html',
  },
  {
    what: 'Config rule name and recorder / delivery channel names',
    types: [
      'aws:cfg/rule:Rule',
      'aws:cfg/recorder:Recorder',
      'aws:cfg/recorderStatus:RecorderStatus',
      'aws:cfg/deliveryChannel:DeliveryChannel',
    ],
    paths: ['name'],
    constraint: { min: 1, max: 128, pattern: /^.*\S.*$/ },
    source:
      'https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html (ConfigRuleName; recorder and channel allow 256)',
  },
  {
    what: 'Config rule description',
    types: ['aws:cfg/rule:Rule'],
    paths: ['description'],
    constraint: { max: 256 },
    source: 'https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html',
  },
  {
    what: 'launch template name',
    types: ['aws:ec2/launchTemplate:LaunchTemplate'],
    paths: ['name'],
    constraint: { min: 3, max: 128, pattern: /^[A-Za-z0-9().\-/_]+$/ },
    source: API('AWSEC2', 'API_CreateLaunchTemplate'),
  },
  {
    what: 'launch template description',
    types: ['aws:ec2/launchTemplate:LaunchTemplate'],
    paths: ['description'],
    constraint: { max: 255 },
    source: API('AWSEC2', 'API_CreateLaunchTemplate'),
  },
  {
    what: 'Auto Scaling group name',
    types: ['aws:autoscaling/group:Group'],
    paths: ['name'],
    constraint: { min: 1, max: 255, pattern: NO_CONTROL },
    source: 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html',
  },
  {
    what: 'backup vault and plan name',
    types: ['aws:backup/vault:Vault', 'aws:backup/plan:Plan'],
    paths: ['name'],
    constraint: { min: 1, max: 50, pattern: /^[A-Za-z0-9_-]+$/ },
    source:
      'https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html; API_CreateBackupPlan.html (BackupPlanName)',
  },
  ...FIS_INPUT_RULES,
];

/** An ARN: `arn:partition:service:region:account:resource` (IAM user guide, "IAM identifiers"). */
const ARN = /^arn:aws(-cn|-us-gov)?:[a-z0-9-]+:([a-z]{2}(-[a-z]+)+-\d)?:(\d{12}|aws)?:.+$/;
export const ARN_SOURCE = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html';

export interface Finding {
  readonly urn: string;
  readonly path: string;
  readonly value: string;
  readonly problem: string;
  readonly rule: string;
  readonly source: string;
}

/** The values `path` selects in `value` (see the module comment), with their concrete paths. */
export function select(value: unknown, path: string): { path: string; value: unknown }[] {
  let found: { path: string; value: unknown }[] = [{ path: '', value }];
  for (const raw of path.split('.')) {
    const each = raw.endsWith('[]');
    const key = each ? raw.slice(0, -2) : raw;
    const next: { path: string; value: unknown }[] = [];
    const join = (p: string, k: string) => (p ? `${p}.${k}` : k);
    for (const { path: at, value: v } of found) {
      if (v === null || typeof v !== 'object') continue;
      // A map's keys and values; an array (Auto Scaling's tag list) is not a map.
      if ((key === '*' || key === '#') && Array.isArray(v)) continue;
      const entries = Object.entries(v as Record<string, unknown>);
      if (key === '*') next.push(...entries.map(([k, x]) => ({ path: join(at, k), value: x })));
      else if (key === '#') next.push(...entries.map(([k]) => ({ path: join(at, `#${k}`), value: k })));
      else if (key in (v as object)) next.push({ path: join(at, key), value: (v as Record<string, unknown>)[key] });
    }
    found = each
      ? next.flatMap(({ path: at, value: v }) =>
          Array.isArray(v) ? v.map((x, i) => ({ path: `${at}[${i}]`, value: x })) : [],
        )
      : next;
  }
  return found.filter((f) => f.value !== undefined && f.value !== null);
}

/** Why `value` breaks `c`, or undefined when it does not. */
export function violation(value: string, c: TextConstraint): string | undefined {
  const length = [...value].length;
  if (c.min !== undefined && length < c.min) return `shorter than ${c.min} characters`;
  if (c.max !== undefined && length > c.max) return `${length} characters, over the ${c.max} allowed`;
  if (c.reservedPrefix && value.toLowerCase().startsWith(c.reservedPrefix.toLowerCase()))
    return `starts with the reserved "${c.reservedPrefix}"`;
  if (c.pattern && !c.pattern.test(value)) {
    const bad = [...value].filter((ch) => !c.pattern!.test(ch) && !c.pattern!.test(`a${ch}a`));
    return bad.length > 0
      ? `characters AWS refuses here: ${[...new Set(bad)].map((ch) => JSON.stringify(ch)).join(' ')}`
      : `does not match ${c.pattern}`;
  }
  return c.also?.(value);
}

export interface CheckedResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs: Record<string, unknown>;
}

/** Every string that looks like an ARN somewhere in `value`. */
function arns(value: unknown, at = ''): { path: string; value: string }[] {
  if (typeof value === 'string') return value.startsWith('arn:') ? [{ path: at, value }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => arns(v, `${at}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => arns(v, at ? `${at}.${k}` : k));
  return [];
}

/** Every input of every resource that breaks a rule of `rules` or is a malformed ARN. */
export function checkInputs(resources: readonly CheckedResource[], rules = AWS_INPUT_RULES): Finding[] {
  const findings: Finding[] = [];
  for (const r of resources) {
    if (!r.type.startsWith('aws:') && r.type !== 'pulumi:providers:aws') continue;
    for (const rule of rules) {
      if (rule.types !== '*' && !rule.types.includes(r.type)) continue;
      for (const path of rule.paths)
        for (const found of select(r.inputs, path)) {
          const problem = typeof found.value === 'string' ? violation(found.value, rule.constraint) : `not a string`;
          if (problem)
            findings.push({
              urn: r.urn,
              path: found.path,
              value: String(found.value),
              problem,
              rule: rule.what,
              source: rule.source,
            });
        }
    }
    for (const found of arns(r.inputs))
      if (!ARN.test(found.value))
        findings.push({ urn: r.urn, ...found, problem: 'not an ARN', rule: 'ARN format', source: ARN_SOURCE });
  }
  return findings;
}
