/**
 * Day 2: what an operator looks up is a stack output, not a chain of CLI look-ups; and the
 * dashboard has a copy in the secondary region, readable when us-east-1 is lost.
 */
import { ofType, plan } from './helpers/plan';

describe('operator outputs', () => {
  it('every planned SNS topic is an output, keyed by its region', async () => {
    const run = await plan();
    const o = run.outputs as Record<string, Record<string, string>>;
    const exported = [...Object.entries(o.alarmTopicArns), ...Object.entries(o.failoverTopicArns)];
    const planned = ofType(run, 'aws:sns/topic:Topic').map((t) => [
      t.region,
      `arn:aws:sns:${t.region}:123456789012:${t.inputs.name}`,
    ]);
    expect(exported.sort()).toEqual(planned.sort());
  });

  it('both dashboards, the endpoint groups, the health checks and the evidence table are outputs', async () => {
    const run = await plan();
    const o = run.outputs as Record<string, any>;
    const dashboards = ofType(run, 'aws:cloudwatch/dashboard:Dashboard');
    expect(Object.fromEntries(dashboards.map((d) => [d.region, d.inputs.dashboardName]))).toEqual(o.dashboardNames);
    expect(Object.keys(o.dashboardNames).sort()).toEqual(['eu-west-1', 'us-east-1']);
    const groups = ofType(run, 'aws:globalaccelerator/endpointGroup:EndpointGroup');
    expect(Object.values(o.endpointGroupArns).sort()).toEqual(
      groups.map((g) => `arn:aws:globalaccelerator:us-west-2:123456789012:endpointgroup/${g.name}`).sort(),
    );
    const checks = ofType(run, 'aws:route53/healthCheck:HealthCheck');
    expect(Object.values(o.healthCheckIds).sort()).toEqual(checks.map((c) => `${c.name}-id`).sort());
    const [table] = ofType(run, 'aws:dynamodb/table:Table').filter((t) => t.inputs.name === o.evidenceTableName);
    expect(table.region).toBe(o.evidenceTableRegion);
  });

  it('the eu-west-1 dashboard is the us-east-1 one: same widgets, each naming its own region', async () => {
    const run = await plan();
    const bodies = Object.fromEntries(
      ofType(run, 'aws:cloudwatch/dashboard:Dashboard').map((d) => [d.region, d.inputs.dashboardBody as string]),
    );
    expect(bodies['eu-west-1']).toBe(bodies['us-east-1']);
    const widgets = JSON.parse(bodies['eu-west-1']).widgets as { type: string; properties: { region?: string } }[];
    const metricWidgets = widgets.filter((w) => w.type === 'metric');
    expect(metricWidgets.length).toBeGreaterThan(0);
    for (const w of metricWidgets) expect(w.properties.region).toMatch(/^(us-east-1|eu-west-1|us-west-2)$/);
  });
});
