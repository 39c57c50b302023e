/** Jest global teardown: removes this run's shared offline plans (see plan-cache-setup.js). */
const fs = require('fs');

module.exports = async function teardown() {
  if (process.env.TAP_PLAN_CACHE) fs.rmSync(process.env.TAP_PLAN_CACHE, { recursive: true, force: true });
};
