/**
 * Jest 30 with ts-jest: one config for every TypeScript test in the repository, in two projects.
 *
 *   npm test                 every test (what .ci/run and CI run)
 *   npm run test:unit        the `unit` project: pure logic and supertest on createApp, in seconds
 *   npx jest path/to/x.test.ts   one file, whichever project holds it
 *
 * Tests spawn dist/, so a global setup rebuilds it first when a source is newer (jest-build.js).
 */
const { availableParallelism } = require('node:os');
const { join } = require('node:path');

/**
 * Jest's default is one worker fewer than the cores: one worker on a 2-core CI machine, which runs
 * every file in turn although most of them wait on the servers and CLIs they spawn. Two workers
 * there: `npm test` took 174 s instead of 275 s on this 2-core machine, all 1,100 tests passing.
 */
const maxWorkers = Math.max(2, availableParallelism() - 1);

const shared = {
  rootDir: __dirname,
  testEnvironment: '<rootDir>/scripts/jest-environment.js',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
};

/**
 * Tests that are not `unit` (path prefixes from the repository root): they start servers or kill
 * processes, render with kubectl, run Docker, k6, Chromium, Python or linters, send thousands of
 * requests, or run the CLIs end to end; knn and training are pure but train every model several
 * times and replay thousands of points against ml-knn (about half the unit run's time otherwise).
 * A new test file is a unit test unless it is listed here.
 */
const INTEGRATION = [
  '.github/test/',
  'api/test/batch-thread.test.ts',
  'api/test/code-cache.test.ts',
  'api/test/hostile-',
  'api/test/pretenuring.test.ts',
  'api/test/reliability-',
  'api/test/secure-start.test.ts',
  'api/test/server.test.ts',
  'api/test/users.test.ts',
  'docker/test/',
  'k8s/test/',
  'loadtest/test/k6-script.test.ts',
  'loadtest/test/local-run.test.ts',
  'loadtest/test/soak.test.ts',
  'model/test/cli.test.ts',
  'model/test/interrupted-training.test.ts',
  'model/src/algorithms/knn/test/',
  'model/src/algorithms/onnx/test/telemetry.test.ts',
  'model/test/provenance.test.ts',
  'model/test/train-config.test.ts',
  'model/test/training.test.ts',
  'prometheus/test/rules.test.ts',
  'scripts/test/bundles.test.ts',
  'tools/test/',
];

/** The regular expression of the files a prefix names (a directory, a name's start, or one file). */
function integrationRegex(prefix) {
  const escaped = join(__dirname, prefix).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return prefix.endsWith('.test.ts') ? `^${escaped}$` : `^${escaped}.*\\.test\\.ts$`;
}

const IGNORED = ['/node_modules/', '/dist/'];

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers,
  // At the top level: Jest 30 reads testTimeout from the global config, and ignores it inside a
  // project (where it stood before, every test ran with the default 5 s).
  testTimeout: 30000,
  globalSetup: '<rootDir>/scripts/jest-build.js',
  globalTeardown: '<rootDir>/scripts/jest-teardown.js',
  reporters: [
    'default',
    ['jest-junit', { outputDirectory: 'reports', outputName: 'junit.xml', addFileAttribute: 'true' }],
    '<rootDir>/scripts/jest-results-reporter.js',
  ],
  projects: [
    { ...shared, displayName: 'unit', testPathIgnorePatterns: [...IGNORED, ...INTEGRATION.map(integrationRegex)] },
    // Every test file the unit project leaves out, and nothing else: `npm test` runs each once.
    {
      ...shared,
      displayName: 'integration',
      testMatch: undefined,
      testRegex: INTEGRATION.map(integrationRegex),
      testPathIgnorePatterns: IGNORED,
    },
  ],
};
