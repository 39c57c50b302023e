/**
 * The game days as planned: FIS experiment templates exist only with `gameDays: enabled`, and
 * every action in them is one FIS has, aimed at the target type and given the parameters FIS
 * documents. The mocks accept any action id; this table is what AWS accepts.
 */
import { checkInputs } from '../policy/aws-constraints';
import { GAME_DAY_EXPERIMENTS, GAME_DAYS, isoMinutes } from '../lib/model/game-day-catalog';
import { FEATURES_ON, named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const REFERENCE = 'https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html';
const CROSS_REGION_SCENARIO = 'https://docs.aws.amazon.com/fis/latest/userguide/cross-region-scenario.html';
const AZ_SCENARIO = 'https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html';

/** ISO 8601 duration from one minute to 12 hours ("duration", FIS actions reference). */
function fisDuration(value: string): string | undefined {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(value);
  if (!m || value === 'PT') return 'not an ISO 8601 duration such as PT10M';
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return seconds < 60 || seconds > 12 * 3600 ? 'outside one minute to 12 hours' : undefined;
}
const oneOf =
  (...allowed: string[]) =>
  (value: string) =>
    allowed.includes(value) ? undefined : `not one of ${allowed.join(', ')}`;
const percentage = (value: string) =>
  /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 100 ? undefined : 'not a percentage 1-100';

interface FisAction {
  /** The action's target key and the resource type it takes. */
  readonly target: readonly [key: string, resourceType: string];
  readonly required: Record<string, (value: string) => string | undefined>;
  readonly optional: Record<string, (value: string) => string | undefined>;
  readonly source: string;
}

/** The FIS actions the platform may use, as the actions reference documents them. */
const FIS_ACTIONS: Record<string, FisAction> = {
  'aws:network:disrupt-connectivity': {
    target: ['Subnets', 'aws:ec2:subnet'],
    required: {
      duration: fisDuration,
      scope: oneOf('all', 'availability-zone', 'dynamodb', 'prefix-list', 's3', 'vpc'),
    },
    optional: { prefixListIdentifier: (v) => (/^pl-[0-9a-f]+$/.test(v) ? undefined : 'not a prefix list id') },
    source: `${REFERENCE}#network-actions-reference (aws:network:disrupt-connectivity)`,
  },
  'aws:network:route-table-disrupt-cross-region-connectivity': {
    target: ['Subnets', 'aws:ec2:subnet'],
    required: { duration: fisDuration, region: oneOf(SECONDARY) },
    optional: {},
    source: `${REFERENCE}#network-actions-reference; ${CROSS_REGION_SCENARIO} (Disrupt-Subnet-Connectivity: Subnets, duration, region)`,
  },
  'aws:rds:failover-db-cluster': {
    target: ['Clusters', 'aws:rds:cluster'],
    required: {},
    optional: {},
    source: `${REFERENCE}#rds-actions-reference; aws-samples/fis-template-library aurora-cluster-failover-template.json`,
  },
  'aws:ec2:asg-insufficient-instance-capacity-error': {
    target: ['AutoScalingGroups', 'aws:ec2:autoscaling-group'],
    required: {
      duration: fisDuration,
      availabilityZoneIdentifiers: (v) =>
        /^us-east-1[a-f]$|^use1-az\d$/.test(v) ? undefined : 'not an AZ name or id of the primary',
    },
    optional: { percentage },
    source: `${REFERENCE}#ec2-actions-reference; ${AZ_SCENARIO} (Pause-ASG-Scaling)`,
  },
  'aws:dynamodb:global-table-pause-replication': {
    target: ['Tables', 'aws:dynamodb:global-table'],
    required: { duration: fisDuration },
    optional: {},
    source: `${REFERENCE}#dynamodb-actions-reference; ${CROSS_REGION_SCENARIO} (Pause-DynamoDB-Replication)`,
  },
};

const TEMPLATE = 'aws:fis/experimentTemplate:ExperimentTemplate';
// Game days on, with code signing enforced too: the plan policy.test.ts and code-signing.test.ts share.
const enabled = () => plan(FEATURES_ON);

/** Every problem of one planned template's actions against the table. */
function actionProblems(inputs: Record<string, any>): string[] {
  const problems: string[] = [];
  const targets = new Map<string, any>(inputs.targets.map((t: any) => [t.name, t]));
  for (const action of inputs.actions) {
    const where = `${action.name} (${action.actionId})`;
    const fact = FIS_ACTIONS[action.actionId];
    if (!fact) {
      problems.push(`${where}: not an action of the FIS actions reference`);
      continue;
    }
    const [key, resourceType] = fact.target;
    if (action.target?.key !== key) problems.push(`${where}: target key ${action.target?.key}, FIS takes ${key}`);
    const target = targets.get(action.target?.value);
    if (!target) problems.push(`${where}: names no target of the template`);
    else if (target.resourceType !== resourceType) {
      problems.push(`${where}: target ${target.name} is ${target.resourceType}, FIS takes ${resourceType}`);
    }
    const params = Object.fromEntries((action.parameters ?? []).map((p: any) => [p.key, p.value]));
    for (const name of Object.keys(fact.required)) {
      if (params[name] === undefined) problems.push(`${where}: parameter ${name} missing`);
    }
    for (const [name, value] of Object.entries(params)) {
      const check = fact.required[name] ?? fact.optional[name];
      const problem = check ? check(String(value)) : 'not a parameter of this action';
      if (problem) problems.push(`${where}: ${name}=${JSON.stringify(value)}: ${problem}`);
    }
  }
  return problems;
}

describe('GameDays (FIS experiment templates)', () => {
  it('exist only when enabled: the default stack plans no FIS resource', async () => {
    const run = await plan();
    expect(ofType(run, TEMPLATE)).toEqual([]);
    expect(ofType(run, 'tap:observe:GameDays')).toEqual([]);
    expect(run.resources.filter((r) => /fis/.test(r.name))).toEqual([]);
  });

  it('one template per experiment of the catalog, in the primary region, under the GameDays component', async () => {
    const run = await enabled();
    const templates = ofType(run, TEMPLATE);
    expect(templates.map((t) => t.name).sort()).toEqual(GAME_DAY_EXPERIMENTS.map((id) => `fis-${id}-use1-dev`).sort());
    const component = ofType(run, 'tap:observe:GameDays');
    expect(component).toHaveLength(1);
    for (const t of templates) {
      expect(t.region).toBe(PRIMARY);
      expect(t.parent).toBe(component[0].urn);
    }
  });

  it('every action is an FIS action, on the target type and with the parameters the actions reference gives', async () => {
    const run = await enabled();
    for (const t of ofType(run, TEMPLATE)) expect([t.name, actionProblems(t.inputs)]).toEqual([t.name, []]);
    // The table catches what the mocks let through.
    const bad = {
      targets: [{ name: 'subnets', resourceType: 'aws:ec2:subnet' }],
      actions: [
        {
          name: 'a',
          actionId: 'aws:network:disrupt-connectivity',
          target: { key: 'Subnets', value: 'subnets' },
          parameters: [
            { key: 'duration', value: '10m' },
            { key: 'scope', value: 'everything' },
          ],
        },
        { name: 'b', actionId: 'aws:network:subnet-latency', target: { key: 'Subnets', value: 'subnets' } },
        { name: 'c', actionId: 'aws:rds:failover-db-cluster', target: { key: 'Clusters', value: 'subnets' } },
      ],
    };
    expect(actionProblems(bad)).toEqual([
      'a (aws:network:disrupt-connectivity): duration="10m": not an ISO 8601 duration such as PT10M',
      'a (aws:network:disrupt-connectivity): scope="everything": not one of all, availability-zone, dynamodb, prefix-list, s3, vpc',
      'b (aws:network:subnet-latency): not an action of the FIS actions reference',
      'c (aws:rds:failover-db-cluster): target subnets is aws:ec2:subnet, FIS takes aws:rds:cluster',
    ]);
  });

  it('aims at the primary: its subnets (at most 5 ARNs a target), its Aurora member, its fleet, its first zone', async () => {
    const run = await enabled();
    const template = (id: string) => named(run, TEMPLATE, `fis-${id}-use1-dev`).inputs;
    for (const t of ofType(run, TEMPLATE)) {
      for (const target of t.inputs.targets) {
        expect(target.selectionMode).toBe('ALL');
        expect(target.resourceArns.length).toBeGreaterThan(0);
        expect(target.resourceArns.length).toBeLessThanOrEqual(5);
      }
    }
    const subnetArns = (tier: string) =>
      ofType(run, 'aws:ec2/subnet:Subnet', PRIMARY)
        .filter((s) => s.inputs.tags.Tier === tier)
        .map((s) => s.name);
    const arnsOf = (id: string, target: string) =>
      template(id).targets.find((t: any) => t.name === target).resourceArns as string[];
    // Every primary subnet is cut when the application must be unreachable.
    for (const tier of ['public', 'private']) {
      const names = subnetArns(tier);
      expect(names).toHaveLength(3);
      expect(arnsOf('app-unreachable', `${tier}-subnets`)).toHaveLength(3);
      expect(arnsOf('cross-region-lost', `${tier}-subnets`)).toHaveLength(3);
    }
    expect(arnsOf('db-failover-in-region', 'primary-cluster')).toEqual([
      'arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev',
    ]);
    const az = template('az-lost');
    expect(arnsOf('az-lost', 'zone-subnets')).toHaveLength(2);
    const zone = az.actions.find((a: any) => a.name === 'no-capacity-in-zone').parameters;
    const firstZone = named(run, 'aws:ec2/subnet:Subnet', 'subnet-public-a-use1-dev');
    expect(zone).toContainEqual({
      key: 'availabilityZoneIdentifiers',
      value: expect.stringMatching(/^us-east-1[a-f]$/),
    });
    expect(firstZone.region).toBe(PRIMARY);
    // The cross-region cut isolates the secondary, where the orchestrator and the replica live.
    const cut = template('cross-region-lost').actions;
    for (const a of cut.filter((x: any) => x.actionId === 'aws:network:route-table-disrupt-cross-region-connectivity'))
      expect(a.parameters).toContainEqual({ key: 'region', value: SECONDARY });
    // The book replicates inside DynamoDB, not through our route tables: its replication is paused
    // too, on this region's replica, for as long as the cut.
    const book = named(run, 'aws:dynamodb/table:Table', 'ddb-order-book-dev');
    expect(arnsOf('cross-region-lost', 'book')).toEqual([
      `arn:aws:dynamodb:${PRIMARY}:123456789012:table/${book.inputs.name}`,
    ]);
    const pause = cut.find((a: any) => a.actionId === 'aws:dynamodb:global-table-pause-replication');
    expect(pause.parameters).toEqual(
      cut.find((a: any) => a.name === 'cut-private').parameters.filter((p: any) => p.key === 'duration'),
    );
    const statements = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', 'role-fis-use1-dev').inputs.policy,
    ).Statement;
    expect(statements.find((st: any) => st.Sid === 'PauseBookReplication').Resource).toEqual(
      arnsOf('cross-region-lost', 'book')[0],
    );
  });

  it("stop conditions are the primary's own alarms, chosen per experiment; logs go to a retained log group", async () => {
    const run = await enabled();
    const alarm = (qualifier: string) =>
      named(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', `alarm-${qualifier}-use1-dev`);
    const logGroup = named(run, 'aws:cloudwatch/logGroup:LogGroup', 'log-group-fis-use1-dev');
    expect(logGroup.inputs.retentionInDays).toBeGreaterThan(0);
    expect(logGroup.inputs.kmsKeyId).toMatch(/kms-logs-use1-dev$/);
    const stops = (id: string) =>
      named(run, TEMPLATE, `fis-${id}-use1-dev`).inputs.stopConditions.map((s: any) => {
        expect(s.source).toBe('aws:cloudwatch:alarm');
        return s.value;
      });
    for (const id of GAME_DAY_EXPERIMENTS) {
      const t = named(run, TEMPLATE, `fis-${id}-use1-dev`).inputs;
      expect(stops(id).length).toBeGreaterThan(0);
      // Each stop condition is a planned alarm of the primary (FIS reads alarms of its region).
      for (const arn of stops(id)) expect(arn).toMatch(/:us-east-1:.*alarm-[a-z0-9-]+-use1-dev$/);
      expect(t.logConfiguration.logSchemaVersion).toBe(2);
      // FIS wants the log group ARN with its `:*` suffix.
      expect(t.logConfiguration.cloudwatchLogsConfiguration.logGroupArn).toMatch(/log-group-fis-use1-dev:\*$/);
      expect(t.description).toBe(GAME_DAYS[id].description);
    }
    // Clients must not see errors while the primary rides out its own failures...
    expect(alarm('alb-5xx-rate').region).toBe(PRIMARY);
    for (const id of ['db-failover-in-region', 'az-lost', 'cross-region-lost'])
      expect(stops(id)).toContainEqual(expect.stringMatching(/alarm-alb-5xx-rate-use1-dev$/));
    // ...but when the application is meant to be unreachable, 5xx is the experiment itself.
    expect(stops('app-unreachable').some((a: string) => a.endsWith('alarm-alb-5xx-rate-use1-dev'))).toBe(false);
    for (const id of GAME_DAY_EXPERIMENTS)
      expect(stops(id)).toContainEqual(expect.stringMatching(/alarm-book-apply-lag-use1-dev$/));
    // Orders acknowledged in one region only (RPO > 0) stop the cross-region experiments (the journal's age alarm did, issue 22).
    for (const id of ['cross-region-lost', 'app-unreachable'] as const)
      expect(stops(id)).toContainEqual(expect.stringMatching(/alarm-book-regional-durability-use1-dev$/));
  });

  it('the experiment role: assumed by FIS for this account only, failover only on the primary member', async () => {
    const run = await enabled();
    const role = named(run, 'aws:iam/role:Role', 'role-fis-use1-dev');
    const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
    expect(trust.Principal.Service).toBe('fis.amazonaws.com');
    expect(trust.Condition.StringEquals['aws:SourceAccount']).toBe('123456789012');
    expect(trust.Condition.ArnLike['aws:SourceArn']).toBe('arn:aws:fis:us-east-1:123456789012:experiment/*');
    const policy = JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', 'role-fis-use1-dev').inputs.policy);
    const rds = policy.Statement.find((s: any) => s.Sid === 'FailoverPrimaryCluster');
    expect(rds.Resource).toBe('arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev');
    const inject = policy.Statement.find((s: any) => s.Sid === 'InsufficientCapacityInZone');
    expect(inject.Condition.StringEquals['ec2:FisActionId']).toBe('aws:ec2:asg-insufficient-instance-capacity-error');
    const attached = ofType(run, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter(
      (a) => a.inputs.role === 'role-fis-use1-dev',
    );
    expect(attached.map((a) => a.inputs.policyArn)).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess',
    ]);
    // Every template runs as this role.
    for (const t of ofType(run, TEMPLATE))
      expect(t.inputs.roleArn).toBe('arn:aws:iam::123456789012:role/role-fis-use1-dev');
  });

  it('names, descriptions and tags pass what FIS and the provider accept', async () => {
    const run = await enabled();
    const fis = run.resources.filter((r) => r.custom && /fis/.test(r.name));
    expect(fis.length).toBeGreaterThanOrEqual(GAME_DAY_EXPERIMENTS.length + 2);
    expect(checkInputs(fis)).toEqual([]);
    const tooLong = { ...named(run, TEMPLATE, 'fis-az-lost-use1-dev'), inputs: { description: 'x'.repeat(513) } };
    expect(checkInputs([tooLong]).map((f) => f.problem)).toEqual(['513 characters, over the 512 allowed']);
  });

  it('FIS durations are whole minutes from 1 to 720', () => {
    expect(isoMinutes(10)).toBe('PT10M');
    expect(fisDuration(isoMinutes(720))).toBeUndefined();
    expect(() => isoMinutes(0)).toThrow(/1 to 720/);
    expect(() => isoMinutes(721)).toThrow(/1 to 720/);
  });
});
