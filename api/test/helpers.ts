import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestListener } from 'node:http';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createApp } from '../src/app';
import type { AppDeps } from '../src/app';
import { BasicAuth } from '../src/security/auth';
import type { Config } from '../src/config';
import { loadConfig } from '../src/config';
import { createMetrics } from '../src/observability/metrics';
import type { ApiMetrics } from '../src/observability/metrics';
import { ModelStore } from '../src/models/model-store';
import { ROOT } from '../../scripts/support/repo-root';
import { selectModels } from '../src/models/served-models';

export { ROOT };

export const USERS = { alice: 'wonderland', bob: 'builder', clementine: 'mandarine' } as const;

let trainedDir: string | undefined;

/**
 * A registry with every configured model trained and promoted by the real CLI. Made once per jest
 * run and shared by its test files (in the directory the global setup names in
 * MLSHIP_TEST_RUN_DIR), else once per file. Read it, never write it: copy it to change it.
 */
export function trainedModelDir(): string {
  if (trainedDir) return trainedDir;
  const runDir = process.env.MLSHIP_TEST_RUN_DIR;
  const shared = runDir ? join(runDir, 'trained') : undefined;
  if (shared && existsSync(shared)) return (trainedDir = shared);
  const fresh = mkdtempSync(join(runDir ?? tmpdir(), 'mlship-api-'));
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'dist/model/src/train.js'), '--promote', '--model-dir', fresh],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`training failed (run npm run build first): ${result.stderr}`);
  if (!shared) return (trainedDir = fresh);
  // A rename is atomic: another worker either sees the whole registry or none. When one got there
  // first (the rename fails on its non-empty directory), use that one.
  try {
    renameSync(fresh, shared);
  } catch {
    rmSync(fresh, { recursive: true, force: true });
  }
  return (trainedDir = shared);
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
export const ALICE = basic('alice', USERS.alice);

/** One typical flower per iris class, in training feature order: the iris models (M1, M2) know each answer. */
export const SAMPLES = {
  setosa: [5.1, 3.5, 1.4, 0.2],
  versicolor: [5.9, 3.0, 4.2, 1.5],
  virginica: [6.7, 3.0, 5.2, 2.3],
};

/** An app on a fresh metrics registry, real models and the committed dev users file; log lines captured. */
export function makeApp(
  env: Record<string, string> = {},
  extra: Partial<AppDeps> = {},
): { app: RequestListener; metrics: ApiMetrics; config: Config; logs: string[]; store: ModelStore } {
  const config = loadConfig({
    MODEL_DIR: trainedModelDir(),
    USERS_FILE: join(ROOT, 'api/users.dev.txt'),
    LOG_LEVEL: 'info',
    ...env,
  });
  const metrics = createMetrics(new Registry());
  const logs: string[] = [];
  const logger = pino(
    { level: 'info', redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } },
    { write: (line: string) => logs.push(line) },
  );
  // The models the server would serve with this environment (every promoted model, unless MODELS lists some).
  const selection = selectModels(config, env);
  const store = new ModelStore(config.MODEL_DIR, selection.names, selection);
  store.load();
  const app = createApp({
    config,
    models: store,
    metrics,
    logger,
    auth: new BasicAuth(config.USERS_FILE, metrics, { trustProxy: config.TRUST_PROXY }),
    ...extra,
  });
  return { app, metrics, config, logs, store };
}
