// @ts-check
/**
 * `npm run mutate -- <group>`: StrykerJS over one group of pure or Lambda modules, run against
 * their direct tests only (the whole-program tests would make a run take hours). The aim is a
 * score of at least 90 % per group; the report lands in reports/mutation/<group>.html.
 */
import { GROUPS } from './scripts/mutation-groups.mjs';

const name = process.env.MUTATION_GROUP ?? '';
const group = GROUPS[name];
if (!group) {
  throw new Error(`MUTATION_GROUP must be one of: ${Object.keys(GROUPS).join(', ')} (got "${name}")`);
}
process.env.MUTATION_TESTS = group.tests.join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  coverageAnalysis: 'perTest',
  mutate: group.mutate,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: true,
  ignorePatterns: ['.plan', 'reports', '.stryker-tmp', 'cdk.out'],
};
