import * as pulumi from '@pulumi/pulumi';
import { parseSettings, readRawConfig, Settings } from './config';
import { enforcePreflight } from './preflight/account-preflight';
import { describeRecorders, existingRecorders, RecorderReader } from './preflight/existing-recorders';
import { byRole } from './config/by-role';
import { regionalName } from './config/naming';
import { AccountState, TapStack } from './tap-stack';

/** This project's Pulumi config, validated: throws ConfigError listing every problem. */
export function loadSettings(): Settings {
  return parseSettings(readRawConfig(pulumi.getProject(), pulumi.runtime.allConfig()));
}

/**
 * The one TapStack of the program: its stack outputs, and the account preflight, which
 * resolves once the quotas are read and rejects with a PreflightError when the stack does not
 * fit them. The caller awaits it before handing over the outputs (index.ts).
 */
export function buildPlatform(
  settings: Settings,
  account: AccountState = {},
): {
  outputs: Record<string, pulumi.Input<unknown>>;
  preflight: Promise<unknown>;
} {
  const stack = new TapStack('tap', { settings, account });
  return {
    outputs: { ...stack.stackOutputs(), ...operatorOutputs(stack, settings) },
    preflight: enforcePreflight(stack.preflight),
  };
}

/**
 * What the program reads from the account before it constructs anything (AWS SDK calls made
 * while planning, where no data source exists): each region's AWS Config recorders when
 * `awsConfigRecorder` is auto. `read` is the SDK by default; the offline plan fakes it.
 */
export async function readAccount(settings: Settings, read: RecorderReader = describeRecorders): Promise<AccountState> {
  const regions = settings.regions.map((r) => r.region);
  return { configRecorders: await existingRecorders(settings.awsConfigRecorder, regions, read) };
}

/**
 * What an operator looks up on day 2, keyed by region where it is regional: every SNS topic
 * (to check subscriptions), both dashboards, the accelerator's endpoint groups (the traffic
 * dials), the Route 53 health checks and the failover evidence table (fences, votes, lease).
 * The runbooks and `npm run status` read these instead of deriving them with CLI look-ups.
 */
export function operatorOutputs(
  stack: TapStack,
  settings: Pick<Settings, 'domainName'>,
): Record<string, pulumi.Input<unknown>> {
  const byRegion = <T>(entries: [string, T][]): Record<string, T> => Object.fromEntries(entries);
  const { primary, secondary } = stack.regions;
  const regions = [primary, secondary];
  return {
    alarmTopicArns: byRegion([
      ...regions.map((r): [string, pulumi.Output<string>] => [r.region, r.monitoring.topic.arn]),
      // CanaryAlarms are made in the canaries' order, each in its canary's region.
      ...stack.observability.canaryAlarms.map((c, i): [string, pulumi.Output<string>] => [
        stack.failover.canaries[i].region,
        c.topic.arn,
      ]),
    ]),
    failoverTopicArns: byRegion([
      [stack.failover.region, stack.failover.topic.arn],
      [primary.region, stack.failover.triggerTopic.arn],
    ]),
    dashboardNames: byRegion([
      [primary.region, stack.observability.dashboard.dashboard.dashboardName],
      [secondary.region, stack.observability.dashboardCopy.dashboard.dashboardName],
    ]),
    endpointGroupArns: byRole((role) => stack.global.endpointGroups[role].arn),
    healthCheckIds: byRole((role) => stack.global.healthChecks[role].id),
    // `npm run status` reads each applier's IteratorAge (the ledger's lag behind the book).
    bookApplierFunctionNames: byRegion(
      regions.map((r): [string, pulumi.Output<string>] => [r.region, r.bookApplier.fn.name]),
    ),
    // What the orchestrator runs with (names, ARNs, windows; no secret): `npm run status` parses
    // it with the orchestrator's own contract and reads what the orchestrator reads.
    failoverOrchestratorEnvironment: stack.failover.orchestratorEnvironment,
    evidenceTableName: stack.evidence.table.name,
    evidenceTableRegion: stack.evidence.region,
    // Each region's own name, on the certificate: `npm run verify` checks both regions' health there.
    regionalApiNames: byRegion(regions.map((r): [string, string] => [r.region, regionalName(settings, r.region)])),
  };
}
