import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/support/repo-root';

/**
 * deploy.yml's kubernetes target, .github/scripts/deploy-kubernetes.sh, run for real against a
 * checkout copy. No cluster runs here, so kubectl, kustomize and npm are small recording stand-ins
 * on PATH; the smoke test hits a real HTTP server on 127.0.0.1 that the "port-forward" points at.
 */
const DIGEST = `ghcr.io/owner/mlship@sha256:${'a'.repeat(64)}`;
const MODELS = '[{"name":"M1","version":"0123456789ab","sha256":"' + 'b'.repeat(64) + '"}]';

let dir: string;
let server: Server;
let port: number;

function fake(name: string, body: string): void {
  writeFileSync(join(dir, 'bin', name), `#!/usr/bin/env bash\necho "${name} $*" >> "$CALLS"\n${body}\n`);
  chmodSync(join(dir, 'bin', name), 0o755);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const json = (status: number, body: unknown): void =>
      void res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/readyz') return json(200, { ready: true });
    if (req.url === '/status') return json(200, { status: 'ok' });
    if (req.url === '/models')
      return json(200, { models: [{ name: 'M1', features: ['a', 'b', 'c', 'd'], classes: ['setosa', 'versicolor'] }] });
    if (req.url === '/predict')
      return req.headers.authorization
        ? json(200, { model: 'M1', prediction: 'setosa', predictions: ['setosa'] })
        : json(401, { error: { code: 'unauthorized', message: 'no' } });
    return json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-k8s-'));
  for (const sub of [
    'bin',
    '.github/scripts',
    'k8s/base/secrets',
    'k8s/overlays/production',
    'k8s/scripts',
    'k8s/components/registry-pull-secret',
  ])
    mkdirSync(join(dir, sub), { recursive: true });
  for (const script of ['deploy-kubernetes.sh', 'smoke.sh', 'image-models.sh'])
    copyFileSync(join(ROOT, '.github', 'scripts', script), join(dir, '.github', 'scripts', script));
  copyFileSync(
    join(ROOT, 'k8s', 'scripts', 'check-no-placeholder.sh'),
    join(dir, 'k8s', 'scripts', 'check-no-placeholder.sh'),
  );
  writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  // `kubectl kustomize` prints what the overlay renders: a Deployment running $RENDERED_IMAGE.
  const rendered =
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      ' +
    'containers:\n      - image: %s\n        name: api\n';
  fake(
    'kubectl',
    `[[ "$1" == kustomize ]] && { printf '${rendered}' "\${RENDERED_IMAGE:-${DIGEST}}"; exit 0; }\n[[ "$*" == ` +
      `*"rollout status deployment/api "* && -n "\${FAIL_ROLLOUT:-}" ]] && exit 1\n[[ "$*" == *port-forward* ` +
      `]] && exec sleep 30\nexit 0`,
  );
  fake('kustomize', 'exit 0');
  fake('npm', 'exit "${LINEAGE_EXIT:-0}"');
  fake('npx', '[[ -n "${SECRETS_PROBLEM:-}" ]] && { echo "$SECRETS_PROBLEM" >&2; exit 2; }\nexit 0');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function deploy(
  image: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; calls: string[] }> {
  const child = spawn('bash', [join(dir, '.github', 'scripts', 'deploy-kubernetes.sh'), image], {
    cwd: dir,
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      CALLS: join(dir, 'calls.log'),
      KUBECONFIG: join(dir, 'kubeconfig'),
      MONITORING_TOKEN: 'token-123',
      MLSHIP_USERS_FILE: 'alice:scrypt$x$y',
      EXPECTED_MODELS: MODELS,
      LOCAL_PORT: String(port),
      SMOKE_RETRIES: '2',
      ...env,
    },
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const log = join(dir, 'calls.log');
      const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      resolve({ code: code ?? 1, stdout, stderr, calls });
    }),
  );
}

describe('deploy-kubernetes.sh', () => {
  test(
    'when everything is healthy, then it pins the digest in the production overlay, applies, waits, smoke-tests ' +
      'and checks lineage',
    async () => {
      const { code, stderr, calls } = await deploy(DIGEST);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(calls).toEqual([
        `npx tsx k8s/scripts/check-production-secrets.ts --dir ${dir}/k8s/base/secrets`,
        `kustomize edit set image mlship.invalid/mlship=${DIGEST}`,
        `kubectl kustomize ${dir}/k8s/overlays/production`,
        `kubectl apply -k ${dir}/k8s/overlays/production`,
        'kubectl -n mlship rollout status deployment/api --timeout=300s',
        'kubectl -n mlship rollout status deployment/api-v2 --timeout=300s',
        `kubectl -n mlship port-forward service/api ${port}:80`,
        `npm run -s lineage -- --url http://127.0.0.1:${port} --expected ${MODELS}`,
      ]);
      expect(readFileSync(join(dir, 'k8s/base/secrets/secrets.env'), 'utf8')).toBe('MONITORING_TOKEN=token-123\n');
      expect(readFileSync(join(dir, 'k8s/base/secrets/users.txt'), 'utf8')).toBe('alice:scrypt$x$y\n');
      expect(statSync(join(dir, 'k8s/base/secrets/secrets.env')).mode & 0o077).toBe(0);
    },
  );

  test(
    'when the API serves other models than the image records, ' + 'then it rolls both deployments back and fails',
    async () => {
      const { code, stderr, calls } = await deploy(DIGEST, { LINEAGE_EXIT: '1' });
      expect(code).toBe(1);
      expect(stderr).toContain(
        "deploy-kubernetes: lineage check failed: the API does not serve the image's models; rolling back",
      );
      expect(calls.slice(-5)).toEqual([
        'kubectl -n mlship rollout undo deployment/api',
        'kubectl -n mlship rollout undo deployment/api-v2',
        'kubectl -n mlship rollout status deployment/api --timeout=300s',
        'kubectl -n mlship rollout status deployment/api-v2 --timeout=300s',
        'kubectl -n mlship get deploy,rs,pods,events',
      ]);
      expect(stderr).toContain('deploy-kubernetes: rolled back: the previous ReplicaSets serve again');
    },
  );

  test('when the rollout does not finish, then it rolls back without a smoke test', async () => {
    const { code, calls } = await deploy(DIGEST, { FAIL_ROLLOUT: '1' });
    expect(code).toBe(1);
    expect(calls).toContain('kubectl -n mlship rollout undo deployment/api');
    expect(calls.some((c) => c.startsWith('npm '))).toBe(false);
  });

  test(
    'when the secrets are placeholders or development ones, ' + 'then the check names it and nothing is applied',
    async () => {
      const { code, stderr, calls } = await deploy(DIGEST, {
        SECRETS_PROBLEM: 'check-production-secrets: users.txt holds the development user alice',
      });
      expect(code).toBe(2);
      expect(stderr.trim()).toBe('check-production-secrets: users.txt holds the development user alice');
      expect(calls.filter((c) => c.startsWith('kubectl') || c.startsWith('kustomize'))).toEqual([]);
    },
  );

  test(
    'when the render still runs the placeholder image, ' + 'then it refuses in one line and applies nothing',
    async () => {
      const { code, stderr, calls } = await deploy(DIGEST, { RENDERED_IMAGE: 'mlship.invalid/mlship' });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(
        /^check-no-placeholder: .*still runs the placeholder image mlship\.invalid\/mlship in Deployment\/api: /,
      );
      expect(calls.filter((c) => c.startsWith('kubectl apply') || c.includes('rollout'))).toEqual([]);
    },
  );

  test('when a container runs another image than the digest, then it refuses and applies nothing', async () => {
    const { code, stderr, calls } = await deploy(DIGEST, { RENDERED_IMAGE: 'ghcr.io/mallory/mlship:latest' });
    expect(code).toBe(1);
    expect(stderr).toContain(`Deployment/api runs ghcr.io/mallory/mlship:latest, not ${DIGEST}; nothing is applied`);
    expect(calls.filter((c) => c.startsWith('kubectl apply'))).toEqual([]);
  });

  test('when no pull secret is given, then the overlay gets no registry credentials', async () => {
    const { code, calls } = await deploy(DIGEST);
    expect(code).toBe(0);
    expect(calls.filter((c) => c.includes('add component'))).toEqual([]);
    expect(existsSync(join(dir, 'k8s/components/registry-pull-secret/dockerconfig.json'))).toBe(false);
  });

  test.each([
    [{}, 'owner'],
    [{ REGISTRY_PULL_USER: 'robot' }, 'robot'],
  ])(
    "when REGISTRY_PULL_SECRET is set (%p), then the ServiceAccount pulls with a dockerconfigjson for the image's " +
      'registry as %s',
    async (env, user) => {
      const { code, stdout, calls } = await deploy(DIGEST, { REGISTRY_PULL_SECRET: 'ghp_token123', ...env });
      expect(code).toBe(0);
      const file = join(dir, 'k8s/components/registry-pull-secret/dockerconfig.json');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
        auths: { 'ghcr.io': { auth: Buffer.from(`${user}:ghp_token123`).toString('base64') } },
      });
      expect(statSync(file).mode & 0o077).toBe(0);
      const add = calls.indexOf('kustomize edit add component ../../components/registry-pull-secret');
      expect(add).toBeGreaterThan(calls.indexOf(`kustomize edit set image mlship.invalid/mlship=${DIGEST}`));
      expect(calls.indexOf(`kubectl kustomize ${dir}/k8s/overlays/production`)).toBeGreaterThan(add);
      expect(stdout).toContain('deploy-kubernetes: pulling ghcr.io with REGISTRY_PULL_SECRET');
      expect(stdout).not.toContain('ghp_token123');
    },
  );

  test.each([
    ['ghcr.io/owner/mlship:latest', {}, 'is not pinned by digest'],
    [DIGEST, { MONITORING_TOKEN: '' }, 'MONITORING_TOKEN is empty'],
    [DIGEST, { MLSHIP_USERS_FILE: '' }, 'MLSHIP_USERS_FILE is empty'],
    [DIGEST, { KUBECONFIG: '/nonexistent' }, 'KUBECONFIG must name a non-empty kubeconfig file'],
  ])('when given %p with %p, then it stops before touching the cluster with one line', async (image, env, message) => {
    const { code, stderr, calls } = await deploy(image, env);
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(calls).toEqual([]);
  });
});
