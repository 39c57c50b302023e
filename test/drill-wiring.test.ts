/**
 * The drill gives the order API the environment the program deploys: the same variables. When
 * the program changes what the order API is wired to, this fails until the drill follows, so the
 * drill never rehearses wiring that is not deployed.
 */
import { RegionEndpoints, tradingEnv } from '../scripts/drill/adapters';
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
