import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { canaryEnvironment } from '../../lambda/canary/environment';
import { CANARY_TIMEOUT_SECONDS } from '../../lambda/facts/timing';
import { Settings } from '../config';
import { functionEnvironment } from '../functions/function-environment';
import { buildFunction, BuiltFunction, everyMinute } from '../functions/lambda-function';
import { LoadBalancer } from '../app/load-balancer';
import { Namer } from '../config/naming';
import type { CodeSigning } from '../functions/code-signing';

/** A region the primary is probed from: never the primary's own. */
export interface Vantage {
  readonly region: string;
  readonly name: Namer;
  /** That region's provider: the canary component's children inherit it. */
  readonly provider: aws.Provider;
  /** That region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
}

export interface CanaryArgs {
  readonly settings: Settings;
  readonly vantage: Vantage;
  /** The region probed (the primary's): the key the orchestrator reads the evidence under. */
  readonly targetRegion: string;
  /** The primary's load balancer: where to connect and with which protocol. */
  readonly target: LoadBalancer;
  /** The platform's public name on the primary's certificate: SNI, Host header and TLS identity. */
  readonly hostname: string;
  readonly evidenceTable: aws.dynamodb.Table;
  /** Where the evidence table lives (the orchestrator's region). */
  readonly evidenceTableRegion: string;
  readonly metricNamespace: string;
}

/**
 * One vote of the promotion gate: a function in `vantage` that probes what users reach of the
 * primary every interval for a minute, once a minute, and writes each result to the evidence
 * table. It decides nothing, so it may only write probe results. Outside any VPC: a NAT or VPC
 * problem in the vantage region must not look like a primary outage.
 */
export class Canary extends pulumi.ComponentResource {
  readonly region: string;
  readonly vantage: Vantage;
  readonly fn: BuiltFunction;

  constructor(name: string, args: CanaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:failover:Canary', name, {}, opts);
    const { settings, vantage, target } = args;
    const n = vantage.name;
    this.region = vantage.region;
    this.vantage = vantage;
    if (vantage.region === args.targetRegion) {
      throw new Error(`a canary cannot vote from the region it probes (${vantage.region})`);
    }

    this.fn = buildFunction(
      {
        name: n('canaryFunction'),
        roleName: n('canaryRole'),
        codeSigning: vantage.codeSigning,
        code: 'canary',
        description: `Probes the primary region (${args.targetRegion}) from ${vantage.region} for the failover gate`,
        settings,
        statements: [{ Sid: 'RecordProbes', Action: 'dynamodb:PutItem', Resource: args.evidenceTable.arn }],
        environment: functionEnvironment('canary', canaryEnvironment, {
          TARGET_REGION: args.targetRegion,
          PROBE_PROTOCOL: target.health.protocol === 'HTTPS' ? 'https' : 'http',
          PROBE_CONNECT_HOST: target.alb.dnsName,
          PROBE_HOSTNAME: args.hostname,
          PROBE_PATH: target.health.path,
          PROBE_INTERVAL_SECONDS: settings.failoverProbeIntervalSeconds,
          EVIDENCE_TABLE: args.evidenceTable.name,
          EVIDENCE_TABLE_REGION: args.evidenceTableRegion,
          ENVIRONMENT: settings.environmentSuffix,
          METRIC_NAMESPACE: args.metricNamespace,
        }),
        timeoutSeconds: CANARY_TIMEOUT_SECONDS,
        memoryMb: 256,
        // One probe loop a minute; the default two cover an overlap at the minute boundary.
        reservedConcurrency: settings.canaryReservedConcurrency,
        // A healthy run lasts the whole minute loop (lambda/facts/timing.ts): only a run
        // close to the timeout is in trouble.
        durationAlarmMs: (CANARY_TIMEOUT_SECONDS - 3) * 1000,
      },
      { parent: this },
    );
    everyMinute(
      this.fn,
      {
        name: n('canaryFunction', 'schedule'),
        description: `Canary: probe ${args.targetRegion} from ${vantage.region} for one minute`,
        input: {},
      },
      { parent: this },
    );

    this.registerOutputs({ canaryArn: this.fn.fn.arn });
  }
}
