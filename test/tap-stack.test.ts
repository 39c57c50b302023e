/**
 * The shape of the program as a graph: components in the order the platform comes up,
 * providers inherited by region, and grants in place before anything uses them.
 */
import { RecordedResource } from '../scripts/offline';
import { ancestors, byUrn, dependsOnTransitively, named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const REGION_OF_CODE: Record<string, string> = { use1: PRIMARY, euw1: SECONDARY, usw2: 'us-west-2' };

/** Components that live in one region, with the region their name says. */
const SINGLE_REGION_COMPONENTS = [
  'tap:network:NetworkStack',
  'tap:data:DatabaseStack',
  'tap:compute:ComputeStack',
  'tap:monitoring:MonitoringStack',
  'tap:monitoring:FailoverAlarms',
  'tap:monitoring:CanaryAlarms',
  'tap:failover:Canary',
  'tap:failover:FailoverEvidence',
  'tap:data:BookApplier',
  'tap:monitoring:HealthCheckAlarms',
  'tap:monitoring:PlatformDashboard',
];

describe('TapStack', () => {
  it('composes per-region NetworkStack, DatabaseStack, ComputeStack, MonitoringStack plus the global layer', async () => {
    const run = await plan();
    const children = run.resources.filter((r) => r.parent && byUrn(run, r.parent).type === 'tap:index:TapStack');
    const perRegion = (type: string) =>
      children
        .filter((c) => c.type === type)
        .map((c) => c.name)
        .sort();
    expect(perRegion('tap:network:NetworkStack')).toEqual(['network-euw1-dev', 'network-use1-dev']);
    expect(perRegion('tap:data:DatabaseStack')).toEqual(['database-euw1-dev', 'database-use1-dev']);
    expect(perRegion('tap:compute:ComputeStack')).toEqual(['compute-euw1-dev', 'compute-use1-dev']);
    expect(perRegion('tap:monitoring:MonitoringStack')).toEqual(['monitoring-euw1-dev', 'monitoring-use1-dev']);
    expect(perRegion('tap:global:GlobalStack')).toEqual(['global-dev']);
    expect(perRegion('tap:data:GlobalDatabase')).toEqual(['global-database-dev']);
  });

  it('is built in deploy order: nothing depends on a resource constructed after it (no deferred outputs)', async () => {
    const run = await plan();
    const late: string[] = [];
    for (const r of run.resources.filter((x) => x.type !== 'pulumi:pulumi:Stack')) {
      expect(r.constructed).toBeDefined();
      for (const urn of r.dependsOn) {
        const dep = byUrn(run, urn);
        if (dep.constructed! > r.constructed!) late.push(`${r.name} (${r.type}) waits for later ${dep.name}`);
      }
    }
    expect(late).toEqual([]);
  });

  it('reads top to bottom as the platform comes up: global database, network and data, credentials, application, traffic, failover, observability', async () => {
    const run = await plan();
    const first = (type: string) => Math.min(...ofType(run, type).map((r) => r.constructed!));
    const order = [
      'tap:data:GlobalDatabase',
      'tap:network:NetworkStack',
      'tap:data:DatabaseStack',
      'tap:data:CredentialsStack',
      'tap:compute:ComputeStack',
      'tap:global:GlobalStack',
      'tap:failover:FailoverStack',
      'tap:monitoring:MonitoringStack',
    ].map((type) => [type, first(type)] as const);
    expect([...order].sort((a, b) => a[1] - b[1]).map(([type]) => type)).toEqual(order.map(([type]) => type));
  });

  it.each(SINGLE_REGION_COMPONENTS)(
    '%s: every AWS resource inside it lands on the provider of its region (inherited, never mixed)',
    async (type) => {
      const run = await plan();
      const components = ofType(run, type);
      expect(components.length).toBeGreaterThan(0);
      for (const component of components) {
        const region = REGION_OF_CODE[/-(use1|euw1|usw2)-/.exec(component.name)![1]];
        const inside = run.resources.filter(
          (r) => r.custom && r.type.startsWith('aws:') && ancestors(run, r).some((a) => a.urn === component.urn),
        );
        expect(inside.length).toBeGreaterThan(0);
        const elsewhere = inside.filter((r) => r.region !== region).map((r) => `${r.name} in ${r.region}`);
        expect({ component: component.name, elsewhere }).toEqual({ component: component.name, elsewhere: [] });
      }
    },
  );

  it('the global database lives in the primary region, as the global cluster API requires', async () => {
    const run = await plan();
    const [db] = ofType(run, 'tap:data:GlobalDatabase');
    const inside = run.resources.filter((r) => r.custom && ancestors(run, r).some((a) => a.urn === db.urn));
    expect(inside.filter((r) => r.type.startsWith('aws:')).every((r) => r.region === PRIMARY)).toBe(true);
    expect(inside.map((r) => r.type)).toContain('aws:rds/globalCluster:GlobalCluster');
  });
});

describe('grants before use', () => {
  /** The role ARN or name a consumer names in a top-level input. */
  const GRANT_TYPES = ['aws:iam/rolePolicy:RolePolicy', 'aws:iam/rolePolicyAttachment:RolePolicyAttachment'];
  /** What names the role's ARN (or, for an instance profile, its name) in a top-level input. */
  const consumersOf = (run: { resources: RecordedResource[] }, role: RecordedResource) => {
    const arn = `arn:aws:iam::123456789012:role/${role.inputs.name}`;
    return run.resources.filter(
      (r) =>
        r.custom &&
        !GRANT_TYPES.includes(r.type) &&
        Object.values(r.inputs).some(
          (v) => v === arn || (r.type === 'aws:iam/instanceProfile:InstanceProfile' && v === role.inputs.name),
        ),
    );
  };

  it('whatever uses a role waits for every policy made with it (VPC access, inline permissions)', async () => {
    const run = await plan();
    const roles = ofType(run, 'aws:iam/role:Role');
    expect(roles.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const role of roles) {
      // The policies made with the role (its children); grants added elsewhere later are checked where used.
      const grants = run.resources.filter((r) => r.parent === role.urn && GRANT_TYPES.includes(r.type));
      const consumers = consumersOf(run, role);
      expect({ role: role.name, grants: grants.length > 0, consumers: consumers.length > 0 }).toEqual({
        role: role.name,
        grants: true,
        consumers: true,
      });
      for (const consumer of consumers)
        for (const grant of grants)
          if (!dependsOnTransitively(run, consumer, grant))
            missing.push(`${consumer.name} does not wait for ${grant.type} ${grant.name}`);
    }
    expect(missing).toEqual([]);
  });

  it('rotation starts only once the function may be invoked by Secrets Manager and holds its secret grants', async () => {
    const run = await plan();
    const grant = named(run, 'aws:iam/rolePolicy:RolePolicy', 'role-fn-rotation-secrets-use1-dev');
    for (const [label, secret] of [
      ['master', 'secret-db-master-dev'],
      ['app', 'secret-db-app-dev'],
    ]) {
      const rotation = named(run, 'aws:secretsmanager/secretRotation:SecretRotation', secret);
      const permission = named(run, 'aws:lambda/permission:Permission', `fn-rotation-${label}-use1-dev`);
      expect(permission.inputs.sourceArn).toContain(secret);
      expect(dependsOnTransitively(run, rotation, permission)).toBe(true);
      expect(dependsOnTransitively(run, rotation, grant)).toBe(true);
    }
  });

  it('every trigger of a function (ALB, schedule, SNS) is wired only after its invoke permission', async () => {
    const run = await plan();
    const permissionFor = (principal: string, fnName: string) =>
      ofType(run, 'aws:lambda/permission:Permission').filter(
        (p) => p.inputs.principal === principal && p.inputs.function === fnName,
      );
    const wirings: [RecordedResource, string, string][] = [
      ...ofType(run, 'aws:lb/targetGroupAttachment:TargetGroupAttachment').map(
        (w) => [w, 'elasticloadbalancing.amazonaws.com', w.inputs.targetId] as [RecordedResource, string, string],
      ),
      ...ofType(run, 'aws:cloudwatch/eventTarget:EventTarget')
        .filter((w) => String(w.inputs.arn).includes(':lambda:'))
        .map((w) => [w, 'events.amazonaws.com', w.inputs.arn] as [RecordedResource, string, string]),
      ...ofType(run, 'aws:sns/topicSubscription:TopicSubscription')
        .filter((w) => w.inputs.protocol === 'lambda')
        .map((w) => [w, 'sns.amazonaws.com', w.inputs.endpoint] as [RecordedResource, string, string]),
    ];
    // Each kind of trigger is there to check: the ALB target, the canary schedule, the SNS nudge.
    expect(new Set(wirings.map(([, principal]) => principal))).toEqual(
      new Set(['elasticloadbalancing.amazonaws.com', 'events.amazonaws.com', 'sns.amazonaws.com']),
    );
    for (const [wiring, principal, fnArn] of wirings) {
      const permissions = permissionFor(principal, String(fnArn).split(':').pop()!);
      expect(permissions).toHaveLength(1);
      expect(dependsOnTransitively(run, wiring, permissions[0])).toBe(true);
    }
  });
});
