/**
 * Jest global setup: a directory where the test files of this one jest run share offline plans
 * (test/helpers/plan.ts) and Lambda bundles (lib/functions/lambda-bundle.ts, TAP_BUNDLE_CACHE).
 * The program cannot change during a run, so a config planned once serves every file; the
 * directory is removed at the end of the run (plan-cache-teardown.js).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async function setup() {
  process.env.TAP_PLAN_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-plans-'));
  process.env.TAP_BUNDLE_CACHE = fs.mkdtempSync(path.join(process.env.TAP_PLAN_CACHE, 'bundles-'));
};
