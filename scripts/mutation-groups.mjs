/**
 * Module groups for mutation testing (npm run mutate -- <group>), each with the tests that
 * exercise it directly: pure helpers with their unit tests, Lambda modules with their tests
 * against a real PostgreSQL 14 and aws-sdk-client-mock. Whole-program tests are left out.
 */
export const GROUPS = {
  cidr: { mutate: ['lib/model/cidr.ts'], tests: ['test/cidr.test.ts'] },
  naming: { mutate: ['lib/config/naming.ts', 'lib/config/tags.ts'], tests: ['test/naming.test.ts'] },
  rto: { mutate: ['lib/model/rto.ts'], tests: ['test/rto.test.ts'] },
  'rto-model': {
    mutate: [
      'lib/model/rto-paths.ts',
      'lib/model/random-variables.ts',
      'lib/model/rto-sampler.ts',
      'lib/model/rto-report.ts',
      'lib/model/seeded-random.ts',
    ],
    tests: ['test/rto-model.test.ts'],
  },
  'instance-memory': { mutate: ['lib/model/instance-memory.ts'], tests: ['test/instance-memory.test.ts'] },
  placement: { mutate: ['lib/network/placement.ts'], tests: ['test/placement.test.ts'] },
  config: {
    mutate: [
      'lib/config/config-schema.ts',
      'lib/config/cross-checks.ts',
      'lib/config/rto-problems.ts',
      'lib/config/settings.ts',
      'lib/config/closest-key.ts',
    ],
    tests: ['test/config.test.ts'],
  },
  'trading-pure': {
    mutate: [
      'lambda/trading/decimal.ts',
      'lambda/trading/signing.ts',
      'lambda/trading/auth.ts',
      'lambda/trading/client-keys.ts',
      'lambda/trading/order.ts',
      'lambda/trading/security-headers.ts',
    ],
    // Pure modules: their unit tests only. trading.test.ts covers them again through the API in
    // the trading-api group; here it made one run take two hours.
    tests: ['test/lambda/auth.test.ts', 'test/lambda/order.test.ts'],
  },
  'trading-db': {
    mutate: ['lambda/trading/api.ts', 'lambda/trading/server.ts', 'lambda/trading/handler.ts'],
    tests: [
      'test/lambda/order.test.ts',
      'test/lambda/alb-adapter.test.ts',
      'test/lambda/trading.test.ts',
      'test/lambda/trading-auth.test.ts',
      'test/lambda/trading-handler.test.ts',
      'test/lambda/trading-server.test.ts',
    ],
  },
  // trading-db in parts (the whole starts the book emulator and a service process per mutant).
  'trading-api': {
    mutate: ['lambda/trading/api.ts'],
    tests: ['test/lambda/trading.test.ts', 'test/lambda/trading-auth.test.ts'],
  },
  'order-ledger': {
    mutate: ['lambda/book-applier/order-ledger.ts'],
    tests: ['test/lambda/book-applier.test.ts', 'test/lambda/schema.test.ts'],
  },
  'trading-adapters': {
    mutate: ['lambda/trading/server.ts', 'lambda/trading/handler.ts'],
    tests: [
      'test/lambda/alb-adapter.test.ts',
      'test/lambda/trading-handler.test.ts',
      'test/lambda/trading-server.test.ts',
    ],
  },
  gate: {
    mutate: ['lambda/orchestrator/gate.ts', 'lambda/orchestrator/decide.ts', 'lambda/facts/timing.ts'],
    tests: ['test/lambda/orchestrator-gate.test.ts', 'test/lambda/orchestrator.test.ts'],
  },
  keeper: {
    mutate: [
      'lambda/keeper/decide.ts',
      'lambda/keeper/keeper.ts',
      'lambda/shared/arbiter.ts',
      'lambda/orchestrator/takeover-arbiter.ts',
    ],
    tests: [
      'test/lambda/keeper-decide.test.ts',
      'test/lambda/keeper.test.ts',
      'test/lambda/arbiter.test.ts',
      'test/lambda/takeover-arbiter.test.ts',
      'test/lambda/book-moves.test.ts',
      'test/lambda/orchestrator.test.ts',
    ],
  },
  orchestrator: {
    mutate: [
      'lambda/orchestrator/gate.ts',
      'lambda/orchestrator/decide.ts',
      'lambda/facts/timing.ts',
      'lambda/orchestrator/global-cluster.ts',
      'lambda/orchestrator/traffic.ts',
      'lambda/orchestrator/config.ts',
      'lambda/orchestrator/orchestrator.ts',
      'lambda/orchestrator/evidence-reader.ts',
      'lambda/orchestrator/primary-database.ts',
      'lambda/orchestrator/trigger.ts',
      'lambda/orchestrator/aws-errors.ts',
      'lambda/orchestrator/gate-log.ts',
      'lambda/orchestrator/store.ts',
      'lambda/orchestrator/memory-store.ts',
    ],
    tests: [
      'test/lambda/orchestrator-gate.test.ts',
      'test/lambda/orchestrator.test.ts',
      'test/lambda/orchestrator-handler.test.ts',
      'test/lambda/orchestrator-store.test.ts',
    ],
  },
  canary: {
    mutate: ['lambda/canary/canary.ts', 'lambda/canary/probe.ts', 'lambda/canary/config.ts'],
    tests: ['test/lambda/orchestrator-probe.test.ts'],
  },
  // credentials in parts: the pure helpers apart from the modules tested against PostgreSQL.
  'credentials-pure': {
    mutate: [
      'lambda/rotation/scram.ts',
      'lambda/shared/credentials.ts',
      'lambda/shared/secret-cache.ts',
      'lambda/shared/postgres.ts',
    ],
    tests: ['test/lambda/scram.test.ts', 'test/lambda/shared-db.test.ts'],
  },
  credentials: {
    mutate: [
      'lambda/rotation/*.ts',
      'lambda/schema/*.ts',
      'lambda/shared/secret-login.ts',
      'lambda/shared/credentials.ts',
      'lambda/shared/credentialed-pool.ts',
      'lambda/shared/secret-cache.ts',
      'lambda/shared/postgres.ts',
    ],
    tests: [
      'test/lambda/shared-db.test.ts',
      'test/lambda/rotation.test.ts',
      'test/lambda/scram.test.ts',
      'test/lambda/schema.test.ts',
      'test/lambda/credentialed-pool.test.ts',
    ],
  },
};
