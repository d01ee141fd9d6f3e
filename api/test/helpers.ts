import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RequestListener } from 'node:http';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createApp } from '../src/app';
import type { AppDeps } from '../src/app';
import { BasicAuth } from '../src/auth';
import type { Config } from '../src/config';
import { loadConfig } from '../src/config';
import { createMetrics } from '../src/metrics';
import type { ApiMetrics } from '../src/metrics';
import { ModelStore } from '../src/model-store';

export const ROOT = resolve(__dirname, '..', '..');
export const USERS = { alice: 'wonderland', bob: 'builder', clementine: 'mandarine' } as const;

let trainedDir: string | undefined;

/** A registry with M1 and M2 trained and promoted, made once per test file by the real CLI. */
export function trainedModelDir(): string {
  if (!trainedDir) {
    trainedDir = mkdtempSync(join(tmpdir(), 'mlship-api-'));
    const result = spawnSync(process.execPath, [join(ROOT, 'dist/model/src/train.js'), '--promote', '--model-dir', trainedDir], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`training failed (run npm run build first): ${result.stderr}`);
  }
  return trainedDir;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
export const ALICE = basic('alice', USERS.alice);

/** An app on a fresh metrics registry, real models and the committed dev users file; log lines captured. */
export function makeApp(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}): { app: RequestListener; metrics: ApiMetrics; config: Config; logs: string[]; store: ModelStore } {
  const config = loadConfig({ MODEL_DIR: trainedModelDir(), USERS_FILE: join(ROOT, 'api/users.dev.txt'), LOG_LEVEL: 'info', ...env });
  const metrics = createMetrics(new Registry());
  const logs: string[] = [];
  const logger = pino({ level: 'info', redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } }, { write: (line: string) => logs.push(line) });
  const store = new ModelStore(config.MODEL_DIR, [config.MODEL_NAME, config.AB_MODEL_NAME]);
  store.load();
  const app = createApp({ config, registry: store, metrics, logger, auth: new BasicAuth(config.USERS_FILE, metrics, { trustProxy: config.TRUST_PROXY }), ...extra });
  return { app, metrics, config, logs, store };
}
