/**
 * Types are checked once by `tsc --noEmit` (npm run typecheck); tests are transpiled file by
 * file (isolatedModules in tsconfig) by esbuild (test/helpers/esbuild-transform.js), the
 * compiler tsx and the Lambda bundles already use.
 */
const path = require('path');

/** @type {import('jest').Config} */
module.exports = {
  // jest's node environment on an ordinary global object (test/helpers/node-environment.js). An
  // absolute path: StrykerJS's jest runner (npm run mutate) loads it without <rootDir> expansion.
  testEnvironment: path.join(__dirname, 'test', 'helpers', 'node-environment.js'),
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/test/helpers/esbuild-transform.js' },
  testTimeout: 60000,
  // Test files of one run share each offline plan (the program cannot change during a run).
  globalSetup: '<rootDir>/test/helpers/plan-cache-setup.js',
  globalTeardown: '<rootDir>/test/helpers/plan-cache-teardown.js',
  // Both cores of the 2-core machines this runs on: about a third faster than the default of one.
  maxWorkers: 2,
};
