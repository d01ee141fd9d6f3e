import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi } from '../../loadtest/src/runner/processes';
import type { Started } from '../../loadtest/src/runner/processes';
import { ROOT } from '../../scripts/support/repo-root';

/**
 * .github/scripts/smoke.sh, run for real against the real API (dist/, built by `npm run build`)
 * serving only the penguins model, a fork's three-feature model, or the default Iris models; and
 * against small stand-ins for the failures it must name in one line. Nothing in it may assume Iris.
 */
const SMOKE = join(ROOT, '.github', 'scripts', 'smoke.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function smoke(url: string, env: Record<string, string> = {}): Promise<Run> {
  const child = spawn('bash', [SMOKE, url], {
    cwd: ROOT,
    env: { ...process.env, SMOKE_RETRIES: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

/** A stand-in that answers like the API, except where `predict` says otherwise. */
async function standIn(predict: (authorized: boolean) => [number, unknown]): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    const json = (status: number, body: unknown): void =>
      void res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/readyz') return json(200, { status: 'ready' });
    if (req.url === '/status') return json(200, { status: 'ok' });
    if (req.url === '/models')
      return json(200, {
        models: [{ name: 'M3', features: ['a', 'b', 'c', 'd'], classes: ['Adelie', 'Chinstrap', 'Gentoo'] }],
      });
    return json(...predict(req.headers.authorization !== undefined));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const urlOf = (api: Started | Server): string =>
  `http://127.0.0.1:${'port' in api ? api.port : (api.address() as AddressInfo).port}`;

describe('smoke.sh against the real API', () => {
  let penguins: Started;
  let fork: Started;
  let iris: Started;
  const work = mkdtempSync(join(tmpdir(), 'smoke-script-'));

  beforeAll(async () => {
    // A fork's own CSV: the penguins without body mass, so three features, trained as M3.
    const csv = join(work, 'penguins3.csv');
    writeFileSync(csv, readFileSync(join(ROOT, 'model/data/penguins.csv'), 'utf8').replace(/,[^,\n]*$/gm, ''));
    const forkDir = join(work, 'models');
    const trained = spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist/model/src/train.js'),
        '--model',
        'M3',
        '--data',
        csv,
        '--label',
        'species',
        '--promote',
        '--model-dir',
        forkDir,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(trained.stderr).toBe('');
    [penguins, fork, iris] = await Promise.all([
      startApi(0, {}, [], ['M3']),
      startApi(0, { MODEL_DIR: forkDir }, [], ['M3']),
      startApi(0),
    ]);
  }, 90000);

  afterAll(async () => {
    await Promise.all([penguins?.stop(), fork?.stop(), iris?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  test(
    'when the API serves only the penguins model, then the prediction names a penguin class and the smoke test ' +
      'passes',
    async () => {
      const run = await smoke(urlOf(penguins));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toMatch(
        /^smoke: http:\/\/127\.0\.0\.1:\d+ ready, \/status ok, \/predict: M3 answers (Adelie|Chinstrap|Gentoo), one of its 3 classes; 401 without credentials$/,
      );
    },
  );

  test("when a fork's model takes three features, then the smoke test posts three and passes", async () => {
    const run = await smoke(`${urlOf(fork)}/`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\/predict: M3 answers (Adelie|Chinstrap|Gentoo), one of its 3 classes/);
  });

  test('when the API serves the default Iris models, then the smoke test still passes', async () => {
    const run = await smoke(urlOf(iris));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\/predict: M1 answers (setosa|versicolor|virginica), one of its 3 classes/);
  });

  test('when the credentials are wrong, then it fails at GET /models in one line', async () => {
    const run = await smoke(urlOf(penguins), { API_PASSWORD: 'not-the-password' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^smoke: GET \/models as alice answered 401: \{"error":\{"code":"unauthorized"/),
    ]);
  });
});

describe('smoke.sh against stand-ins that answer wrong', () => {
  test(
    'when /predict answers a class the model does not have, ' +
      'then it fails naming the class and the model in one line',
    async () => {
      const server = await standIn((authorized) =>
        authorized ? [200, { model: 'M3', version: 'x', variant: 'v1', prediction: 'setosa' }] : [401, {}],
      );
      const run = await smoke(urlOf(server)).finally(() => server.close());
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([
        `smoke: POST /predict: "setosa" is not one of M3's classes (Adelie, Chinstrap, Gentoo): ` +
          `{"model":"M3","version":"x","variant":"v1","prediction":"setosa"}`,
      ]);
    },
  );

  test('when /predict answers without credentials, then the 401 check fails in one line', async () => {
    const server = await standIn(() => [200, { model: 'M3', version: 'x', variant: 'v1', prediction: 'Gentoo' }]);
    const run = await smoke(urlOf(server)).finally(() => server.close());
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual(['smoke: POST /predict without credentials answered 200, not 401']);
  });

  test('when /predict refuses the row of every width /models lists, then it fails with the answer', async () => {
    const server = await standIn(() => [
      400,
      { error: { code: 'invalid_input', message: 'X: must have exactly 5 numbers' } },
    ]);
    const run = await smoke(urlOf(server)).finally(() => server.close());
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'smoke: POST /predict of {"X":[0,0,0,0]} answered 400: {"error":{"code":"invalid_input","message":"X: must ' +
        'have exactly 5 numbers"}}',
    );
  });

  test('when shellcheck reads it, then it reports nothing', () => {
    const result = spawnSync('shellcheck', [SMOKE], { encoding: 'utf8' });
    if (result.error) throw new Error(`shellcheck is not installed: ${result.error.message}`);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
