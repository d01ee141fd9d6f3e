/**
 * Jest global setup. Makes one scratch directory for the run (MLSHIP_TEST_RUN_DIR, removed by
 * jest-teardown.js), where api/test/helpers.ts trains the shared test registry once.
 *
 * Tests spawn dist/ (the CLIs, the server), so `npx jest <file>` right after an
 * edit would test stale code. Runs `npm run -s build` when a source the build reads is newer than
 * the oldest file the build writes every time (the esbuild bundles), and skips it otherwise.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const SOURCES = [
  'api/src',
  'model/src',
  'scripts/bench-model.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];
/** Written by every `npm run build`, after tsc: one missing or old means the last build is not current. */
const OUTPUTS = [
  'dist/api/server.bundle.js',
  'dist/api/server.js',
  'dist/bundle/train.js',
  'dist/bundle/registry-cli.js',
  'dist/bundle/users-cli.js',
];

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), stat.mtimeMs);
}

function distIsCurrent(root) {
  const outputs = OUTPUTS.map((file) => join(root, file));
  if (!outputs.every((file) => existsSync(file))) return false;
  const oldestOutput = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const newestSource = Math.max(
    ...SOURCES.map((p) => join(root, p))
      .filter((p) => existsSync(p))
      .map(newestMtime),
  );
  return newestSource <= oldestOutput;
}

/** `rootDir` is jest.config.js's, the repository root: Jest hands its global config to the setup. */
module.exports = function globalSetup({ rootDir }) {
  // Workers start after this and inherit the environment.
  process.env.MLSHIP_TEST_RUN_DIR = mkdtempSync(join(tmpdir(), 'mlship-test-run-'));
  if (distIsCurrent(rootDir)) return;
  const result = spawnSync('npm', ['run', '-s', 'build'], { cwd: rootDir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed: fix the error above, then run the tests again');
};
