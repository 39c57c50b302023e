import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { CLIENT_HEADER } from '../../lambda/facts/order-api';

/**
 * AWS managed rule groups that fit a JSON order API, in evaluation order (cheapest and most
 * certain first). The common rule set stays whole, SizeRestrictions_BODY included: an order is
 * well under its 8 KB limit, so a larger body is not an order.
 */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesCommonRuleSet',
] as const;

/** Header whose value WAF must never write to its logs (the request signature). */
export const REDACTED_HEADERS = ['authorization'] as const;

/** The evaluation window of both rate rules: 5 minutes (AWS WAF accepts 60, 120, 300 or 600 s). */
export const RATE_WINDOW_SECONDS = 300;

/**
 * A client's rate from one address: a rate-based rule keyed on the client header
 * (`x-tap-client`, which the service requires to equal the signed client id:
 * lambda/trading/signing.ts CLIENT_HEADER) and the source IP. Keyed on the header alone, anyone
 * could name another client and have WAF block that client everywhere; with the IP in the key a
 * forged header only ever blocks the forger's own address, and one abusive client behind a shared
 * address (a desk's NAT) is blocked without its neighbours. Requests without the header are
 * "omitted from the rate-based rule evaluation" (WAF API reference, RateBasedStatementCustomKey)
 * and the service refuses them (401): the per-IP rule still counts them. The client's own limit
 * across the whole fleet is the request ledger's (lambda/trading/request-ledger.ts, 429 after
 * authentication); this rule stops a flood before it costs the order API anything.
 * Where: the ALB of each region. Global Accelerator cannot carry a web ACL (WAF protects
 * CloudFront, ALB, API Gateway REST APIs, AppSync, Cognito, App Runner, Verified Access and
 * Amplify: WAF developer guide, "Resources that you can protect"), and it forwards to the ALBs,
 * so every path in (api., global., read.) passes this ACL. Provider schema: `rate_based_statement`
 * `custom_key` blocks `header { name, text_transformation }` and `ip {}`, `aggregate_key_type`
 * `CUSTOM_KEYS` (terraform-provider-aws, wafv2_web_acl); WAF requires the IP key to be combined
 * with another.
 */
export function clientRateRule(
  limit: number,
  visibilityConfig: { cloudwatchMetricsEnabled: boolean; metricName: string; sampledRequestsEnabled: boolean },
) {
  return {
    name: 'rate-limit-per-client',
    priority: 1,
    action: { block: {} },
    statement: {
      rateBasedStatement: {
        limit,
        aggregateKeyType: 'CUSTOM_KEYS',
        evaluationWindowSec: RATE_WINDOW_SECONDS,
        customKeys: [
          { header: { name: CLIENT_HEADER, textTransformations: [{ priority: 0, type: 'NONE' }] } },
          { ip: {} },
        ],
      },
    },
    visibilityConfig,
  };
}

export interface WebAclArgs {
  readonly settings: Settings;
  readonly name: Namer;
  readonly region: string;
  /** The load balancer the ACL guards. */
  readonly loadBalancerArn: pulumi.Input<string>;
  /** KMS key (the region's logs key) of the WAF log group. */
  readonly logsKeyArn: pulumi.Input<string>;
}

/**
 * The load balancer's web ACL: a per-IP rate limit (blocks floods before they reach the
 * order API and its database connections) and AWS's managed rules for APIs, with metrics,
 * sampled requests and logs (signatures redacted) to a KMS-encrypted log group.
 */
export class WebAcl extends pulumi.ComponentResource {
  readonly acl: aws.wafv2.WebAcl;
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: WebAclArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:WebAcl', name, {}, opts);
    const { settings, name: n } = args;
    const child = { parent: this };
    const visibility = (metricName: string) => ({
      cloudwatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });

    this.acl = new aws.wafv2.WebAcl(
      n('webAcl'),
      {
        name: n('webAcl'),
        scope: 'REGIONAL',
        description: 'Order API: per-IP and per-client rate limits and AWS managed rules',
        defaultAction: { allow: {} },
        rules: [
          {
            name: 'rate-limit-per-ip',
            priority: 0,
            action: { block: {} },
            statement: {
              rateBasedStatement: {
                limit: settings.wafRateLimit,
                aggregateKeyType: 'IP',
                evaluationWindowSec: RATE_WINDOW_SECONDS,
              },
            },
            visibilityConfig: visibility('rate-limit-per-ip'),
          },
          clientRateRule(settings.wafClientRateLimit, visibility('rate-limit-per-client')),
          ...MANAGED_RULE_GROUPS.map((group, i) => ({
            name: group,
            priority: i + 2,
            // Rule groups carry their own actions (block); `none` keeps them.
            overrideAction: { none: {} },
            statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group } },
            visibilityConfig: visibility(group),
          })),
        ],
        visibilityConfig: visibility(n('webAcl')),
      },
      { ...child, ...DELETE_BEFORE_REPLACE },
    );
    new aws.wafv2.WebAclAssociation(
      n('webAcl'),
      { resourceArn: args.loadBalancerArn, webAclArn: this.acl.arn },
      { parent: this.acl },
    );

    // WAF delivers to CloudWatch Logs only into groups named aws-waf-logs-*.
    this.logGroup = new aws.cloudwatch.LogGroup(
      n('wafLogGroup'),
      { name: n('wafLogGroup'), retentionInDays: settings.logRetentionDays, kmsKeyId: args.logsKeyArn },
      { ...child, ...DELETE_BEFORE_REPLACE },
    );
    const account = aws.getCallerIdentityOutput({}, child);
    // WAF writes through the log-delivery service; without this policy it would add an
    // unconditioned one itself. Scoped to this account's deliveries (confused deputy).
    const delivery = new aws.cloudwatch.LogResourcePolicy(
      n('wafLogGroup'),
      {
        policyName: n('wafLogGroup'),
        policyDocument: pulumi.all([this.logGroup.arn, account.accountId]).apply(([arn, id]) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'WafLogDelivery',
                Effect: 'Allow',
                Principal: { Service: 'delivery.logs.amazonaws.com' },
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: `${arn}:*`,
                Condition: {
                  StringEquals: { 'aws:SourceAccount': id },
                  ArnLike: { 'aws:SourceArn': `arn:aws:logs:${args.region}:${id}:*` },
                },
              },
            ],
          }),
        ),
      },
      { parent: this.logGroup },
    );
    new aws.wafv2.WebAclLoggingConfiguration(
      n('webAcl'),
      {
        resourceArn: this.acl.arn,
        logDestinationConfigs: [this.logGroup.arn],
        redactedFields: REDACTED_HEADERS.map((header) => ({ singleHeader: { name: header } })),
      },
      { parent: this.acl, dependsOn: [delivery] },
    );

    this.registerOutputs({ webAclArn: this.acl.arn });
  }
}
