/**
 * The drill gives the order API the environment the program deploys: the same variables. When
 * the program changes what the order API is wired to, this fails until the drill follows, so the
 * drill never rehearses wiring that is not deployed.
 */
import { orchestratorEnv, RegionEndpoints, tradingEnv } from '../scripts/drill/adapters';
import { ofType, plan } from './helpers/plan';

/** Variables that describe the runtime, not the wiring the drill reproduces. */
const RUNTIME_ONLY = new Set(['NODE_EXTRA_CA_CERTS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME']);

const sentinel: RegionEndpoints = {
  region: 'REGION',
  role: 'primary',
  clientKeysSecretArn: 'CLIENT_KEYS',
  apiHosts: ['HOSTS'],
  authTableName: 'LEDGER',
  // The drill runs every scenario on the live order book, as the program deploys it.
  book: { tableName: 'BOOK', peerRegion: 'eu-west-1', signingSecretArn: 'BOOK_KEY' },
};

/** The drill's functions against what the program deploys for them. */
async function checkWiring(prefix: string, envOf: (e: RegionEndpoints) => unknown) {
  const run = await plan();
  const functions = ofType(run, 'aws:lambda/function:Function').filter((f) => f.name.startsWith(prefix));
  expect(functions.length).toBe(2);
  const drill = envOf(sentinel) as unknown as Record<string, string>;
  for (const fn of functions) {
    const planned = fn.inputs.environment.variables as Record<string, string>;
    const keys = (env: Record<string, string>) =>
      Object.keys(env)
        .filter((k) => !RUNTIME_ONLY.has(k))
        .sort();
    expect(keys(drill)).toEqual(keys(planned));
    // Issue 22: the order API reaches no database and writes no journal; the book is its only store.
    expect(keys(planned).filter((k) => /^(DB_|JOURNAL_|FENCE_|ORDER_DURABILITY)/.test(k))).toEqual([]);
  }
}

it('fn-trading: the drill sets the planned variables, hosts of the planned kind', () =>
  checkWiring('fn-trading', tradingEnv));

it("fn-failover: the drill's orchestrator gets every variable the program plans for it (the failover record included)", async () => {
  const run = await plan();
  const [orchestrator] = ofType(run, 'aws:lambda/function:Function').filter(
    (f) => f.name.startsWith('fn-failover') && f.inputs.environment?.variables?.GLOBAL_CLUSTER_ID !== undefined,
  );
  const planned = Object.keys(orchestrator.inputs.environment.variables as Record<string, string>).filter(
    (k) => !RUNTIME_ONLY.has(k) && k !== 'METRIC_NAMESPACE',
  );
  const drill = orchestratorEnv({
    globalClusterId: 'GLOBAL',
    primaryClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:primary',
    secondaryClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:secondary',
    primaryRegion: 'us-east-1',
    vantages: ['eu-west-1', 'us-west-2'],
    probeIntervalSeconds: 10,
    recoveryWindowSeconds: 90,
    fastWindowSeconds: 20,
    primaryEndpointGroupArn: 'EG_PRIMARY',
    secondaryEndpointGroupArn: 'EG_SECONDARY',
    route53HealthCheckId: 'HC',
    failoverRecord: { name: 'api.example.com', secondaryTarget: 'alb-euw1.eu-west-1.elb.amazonaws.com' },
    topicArn: 'TOPIC',
    environment: 'dev',
    evidenceTable: 'EVIDENCE',
    evidenceTableRegion: 'eu-west-1',
    book: { tableName: 'BOOK', regions: ['us-east-1', 'eu-west-1'] },
    orderDurability: 'cross-region',
    probeProtocol: 'http',
    probeConnectHost: 'alb-use1.us-east-1.elb.amazonaws.com',
    probeHostname: 'api.example.com',
  });
  expect(planned.filter((k) => !(k in drill))).toEqual([]);
  // The fast path's DNS corroboration is read only when both are set (lambda/orchestrator/config.ts).
  expect(drill).toMatchObject({
    FAILOVER_RECORD_NAME: 'api.example.com',
    SECONDARY_RECORD_TARGET: 'alb-euw1.eu-west-1.elb.amazonaws.com',
  });
});
