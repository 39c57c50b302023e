import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { resolvedAfter, ServiceRole } from '../security/iam';
import { buildFunction, BuiltFunction } from '../functions/lambda-function';
import { Namer } from '../config/naming';
import { ServiceRuntime } from '../functions/service-runtime';
import type { CodeSigning } from '../functions/code-signing';

export interface TradingFunctionArgs {
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly settings: Settings;
  readonly name: Namer;
  /** The order API's runtime. */
  readonly service: ServiceRuntime;
  /** The load balancer's Lambda target group the function serves. */
  readonly targetGroup: aws.lb.TargetGroup;
  /** KMS key of the function's log group. */
  readonly logsKeyArn: pulumi.Input<string>;
}

/**
 * The order API as a Lambda function behind the ALB: the function, the ALB's permission to
 * invoke it, and its registration in the Lambda target group (made only once the permission
 * exists, or the ALB would fail its first health checks).
 */
export class TradingFunction extends pulumi.ComponentResource implements BuiltFunction {
  readonly fn: aws.lambda.Function;
  readonly role: ServiceRole;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly durationAlarmMs: number;

  constructor(name: string, args: TradingFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:TradingFunction', name, {}, opts);
    const { settings, name: n, service, targetGroup } = args;

    const built = buildFunction(
      {
        name: n('tradingFunction'),
        roleName: n('tradingRole'),
        codeSigning: args.codeSigning,
        code: 'trading',
        description: 'Order API (POST /orders, GET /orders/{id}, GET /health)',
        settings,
        statements: service.statements,
        environment: service.environment,
        vpc: service.vpc,
        timeoutSeconds: settings.lambdaTimeoutSeconds,
        memoryMb: settings.lambdaMemoryMb,
        reservedConcurrency: settings.tradingReservedConcurrency,
        logsKeyArn: args.logsKeyArn,
        // On the request path: the configured latency budget, well inside the timeout.
        durationAlarmMs: settings.alarmLambdaDurationP99Ms,
      },
      { parent: this },
    );
    this.fn = built.fn;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.durationAlarmMs = built.durationAlarmMs;

    const invokeFromAlb = new aws.lambda.Permission(
      n('tradingFunction', 'alb'),
      {
        action: 'lambda:InvokeFunction',
        function: this.fn.name,
        principal: 'elasticloadbalancing.amazonaws.com',
        sourceArn: targetGroup.arn,
        sourceAccount: targetGroup.arn.apply((arn) => arn.split(':')[4]),
      },
      { parent: this.fn },
    );
    new aws.lb.TargetGroupAttachment(
      n('targetGroupLambda'),
      { targetGroupArn: targetGroup.arn, targetId: resolvedAfter(this.fn.arn, [invokeFromAlb]) },
      { parent: this.fn },
    );

    this.registerOutputs({ tradingFunctionArn: this.fn.arn });
  }
}
