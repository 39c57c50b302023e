/**
 * Deploy readiness: rules a real `pulumi up` enforces (Pulumi's engine, the AWS provider, AWS's
 * APIs) that the mocks do not. Mocks accept any graph; these tests read the recorded graph
 * (resources, providers, dependencies, options) and fail where the real thing would fail or
 * misbehave on a first deploy.
 */
import { OfflineRun, RecordedResource } from '../scripts/offline';
import { byUrn, plan } from './helpers/plan';

/** The provider resource a recorded provider reference (`urn::id`) points at. */
function providerOf(run: OfflineRun, resource: RecordedResource): RecordedResource | undefined {
  if (!resource.provider) return undefined;
  const urn = resource.provider.split('::').slice(0, -1).join('::');
  return run.resources.find((r) => r.urn === urn);
}

const isProvider = (r: RecordedResource) => r.type.startsWith('pulumi:providers:');
const packageOf = (type: string) => type.split(':')[0];

describe('providers: the stack disables every default provider', () => {
  it('every custom resource has an explicit provider of its own package (aws, random, ...)', async () => {
    const run = await plan();
    const problems = run.resources
      .filter((r) => r.custom && !isProvider(r))
      .flatMap((r) => {
        const provider = providerOf(run, r);
        if (!provider) return [`${r.type} ${r.name}: default provider (refused with '*' disabled)`];
        const expected = `pulumi:providers:${packageOf(r.type)}`;
        return provider.type === expected ? [] : [`${r.type} ${r.name}: bound to ${provider.type}`];
      });
    expect(problems).toEqual([]);
  });

  it('the stack file disables all default providers, so the rule above is what the engine enforces', async () => {
    const { stackConfig } = await import('../scripts/offline');
    expect(JSON.parse(stackConfig('dev')['pulumi:disable-default-providers'])).toEqual(['*']);
  });

  // Keeps `byUrn` honest for the rules below: every recorded dependency is a recorded resource.
  it('every recorded dependency and parent is itself in the graph', async () => {
    const run = await plan();
    for (const r of run.resources) {
      for (const urn of [...r.dependsOn, ...(r.parent ? [r.parent] : [])]) expect(byUrn(run, urn)).toBeDefined();
    }
  });
});
