/** Jest global teardown: removes the run's scratch directory that jest-build.js made. */
const { rmSync } = require('node:fs');

module.exports = function globalTeardown() {
  if (process.env.MLSHIP_TEST_RUN_DIR) rmSync(process.env.MLSHIP_TEST_RUN_DIR, { recursive: true, force: true });
};
