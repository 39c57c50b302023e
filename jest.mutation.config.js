/**
 * Jest for mutation testing (npm run mutate): only the direct tests of the module group being
 * mutated (MUTATION_TESTS, set by stryker.config.mjs), without the shared offline plans that the
 * whole-program tests need.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  testTimeout: base.testTimeout,
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  testMatch: (process.env.MUTATION_TESTS ?? '')
    .split(',')
    .filter(Boolean)
    .map((t) => `<rootDir>/${t}`),
};
