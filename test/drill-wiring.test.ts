/**
 * The drill gives the functions the environment the program deploys: same variables, and each
 * database host the same kind of endpoint (the local cluster's writer or reader, or the global
 * writer endpoint). When the program changes where a function writes, this fails until the
 * drill follows, so the drill never rehearses wiring that is not deployed.
 */
import { RegionEndpoints, tradingEnv } from '../scripts/drill/adapters';
import { ofType, plan } from './helpers/plan';

const KIND = { clusterWriter: 'CLUSTER_WRITER', clusterReader: 'CLUSTER_READER', globalWriter: 'GLOBAL_WRITER' };

/** The kind of endpoint a planned (mock) host name is. */
function kindOf(host: string): string {
  if (/\.global-[a-z]+\.global\.rds\.amazonaws\.com$/.test(host)) return KIND.globalWriter;
  if (/\.cluster-ro-[a-z]+\./.test(host)) return KIND.clusterReader;
  if (/\.cluster-[a-z]+\./.test(host)) return KIND.clusterWriter;
  return host;
}

/** Variables that describe the runtime, not the wiring the drill reproduces. */
const RUNTIME_ONLY = new Set(['NODE_EXTRA_CA_CERTS', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'DB_SSL']);

const sentinel: RegionEndpoints = {
  region: 'REGION',
  role: 'primary',
  ...KIND,
  port: 5432,
  dbName: 'DB',
  poolMax: 4,
  secretArn: 'SECRET',
  clientKeysSecretArn: 'CLIENT_KEYS',
  apiHosts: ['HOSTS'],
  authTableName: 'LEDGER',
  journal: {
    durability: 'cross-region',
    queueUrls: {
      'us-east-1': 'https://sqs.us-east-1.amazonaws.com/123456789012/sqs-journal-use1-test',
      'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-euw1-test',
    },
    timeoutMs: 1000,
    parkedQueueUrl: 'PARKED',
    orphanAfterSeconds: 300,
  },
  fence: { tableName: 'TABLE', tableRegion: 'eu-west-1', name: 'GLOBAL' },
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
    for (const key of ['DB_HOST', 'DB_READ_HOST']) expect([key, drill[key]]).toEqual([key, kindOf(planned[key])]);
    expect(drill.ORDER_DURABILITY).toBe(planned.ORDER_DURABILITY);
  }
}

it('fn-trading: the drill sets the planned variables, hosts of the planned kind', () =>
  checkWiring('fn-trading', tradingEnv));
