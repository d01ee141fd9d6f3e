import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/support/repo-root';

/**
 * Where the tests of .github/scripts/deploy-kubernetes.sh run it for real: a checkout copy in which
 * kubectl, kustomize and npm are small recording stand-ins on PATH (no cluster runs there), and a
 * real HTTP server on 127.0.0.1 that the "port-forward" points the smoke test at.
 */
export const DIGEST = `ghcr.io/owner/mlship@sha256:${'a'.repeat(64)}`;
export const MODELS = '[{"name":"M1","version":"0123456789ab","sha256":"' + 'b'.repeat(64) + '"}]';

/** `kubectl get deployments,replicasets -o json`: each Deployment at a revision, its ReplicaSets by hash. */
function workloads(deployments: Record<string, { revision: number; sets: Record<string, number> }>): string {
  const revision = (n: number) => ({ 'deployment.kubernetes.io/revision': String(n) });
  const items = Object.entries(deployments).flatMap(([name, { revision: current, sets }]) => [
    { kind: 'Deployment', metadata: { name, annotations: revision(current) } },
    ...Object.entries(sets).map(([hash, n]) => ({
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`,
        labels: { 'pod-template-hash': hash },
        annotations: revision(n),
        ownerReferences: [{ kind: 'Deployment', name }],
      },
    })),
  ]);
  return JSON.stringify({ kind: 'List', items });
}
// Before the apply: api runs aaa111 (revision 3), api-v2 bbb222 (2). The apply makes ccc333 and
// ddd444; an undo brings the old ReplicaSets back under new revision numbers.
const BEFORE = workloads({
  api: { revision: 3, sets: { '9f9f9f': 2, aaa111: 3 } },
  'api-v2': { revision: 2, sets: { bbb222: 2 } },
});
export const APPLIED = workloads({
  api: { revision: 4, sets: { '9f9f9f': 2, aaa111: 3, ccc333: 4 } },
  'api-v2': { revision: 3, sets: { bbb222: 2, ddd444: 3 } },
});
export const UNDONE = workloads({
  api: { revision: 5, sets: { '9f9f9f': 2, ccc333: 4, aaa111: 5 } },
  'api-v2': { revision: 4, sets: { ddd444: 3, bbb222: 4 } },
});
export const PREVIOUS = 'api=aaa111,api-v2=bbb222';
/** What the script asks of kubectl to roll back to PREVIOUS from APPLIED, through saving the cluster's state. */
export const ROLLBACK_CALLS = [
  'kubectl -n mlship get deployments,replicasets -o json',
  'kubectl -n mlship rollout undo deployment/api --to-revision=3',
  'kubectl -n mlship rollout undo deployment/api-v2 --to-revision=2',
  'kubectl -n mlship rollout status deployment/api --timeout=300s',
  'kubectl -n mlship rollout status deployment/api-v2 --timeout=300s',
  'kubectl -n mlship get deploy,rs,pods,events',
];

export interface Deployed {
  code: number;
  stdout: string;
  stderr: string;
  calls: string[];
  /** What it wrote to $GITHUB_OUTPUT. */
  outputs: string;
}

/**
 * A fresh checkout copy per test (and one HTTP server for the file); `deploy` runs the script in it
 * with `args` (an image, or --rollback and its value), and `started` sees its process. `dir` and
 * `port` are the current test's copy and the server's port.
 */
export function useDeploySandbox(): {
  deploy: (args: string | string[], env?: Record<string, string>, started?: (pid: number) => void) => Promise<Deployed>;
  dir: () => string;
  port: () => number;
} {
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
        return json(200, {
          models: [{ name: 'M1', features: ['a', 'b', 'c', 'd'], classes: ['setosa', 'versicolor'] }],
        });
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
    for (const script of ['deploy-kubernetes.sh', 'cancellable.sh', 'smoke.sh', 'image-models.sh'])
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
        `*"rollout status deployment/api "* && -n "\${FAIL_ROLLOUT:-}" ]] && exit 1\n[[ "$*" == ` +
        `*"rollout status deployment/api "* && -n "\${HANG_ROLLOUT:-}" ]] && { grep -q "rollout undo" "$CALLS" && ` +
        // Hangs until cancelled; once undone, takes a moment (the runner's SIGTERM lands in the rollback).
        `sleep 0.5 || exec sleep 30; }\n[[ "$*" == *port-forward* ` +
        `]] && exec sleep 30\n` +
        // What the cluster holds: as before, once applied, once undone (the calls so far tell).
        `if [[ "$*" == *"get deployments,replicasets -o json"* ]]; then\n` +
        `  if grep -q "rollout undo" "$CALLS"; then printf '%s' "$UNDONE"; elif grep -q "kubectl apply" "$CALLS"; ` +
        `then printf '%s' "$APPLIED"; else printf '%s' "$BEFORE"; fi\nfi\nexit 0`,
    );
    fake('kustomize', 'exit 0');
    fake('npm', 'exit "${LINEAGE_EXIT:-0}"');
    fake('npx', '[[ -n "${SECRETS_PROBLEM:-}" ]] && { echo "$SECRETS_PROBLEM" >&2; exit 2; }\nexit 0');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the script with `args` (an image, or --rollback and its value); `started` sees the process. */
  function deploy(
    args: string | string[],
    env: Record<string, string> = {},
    started: (pid: number) => void = () => undefined,
  ): Promise<Deployed> {
    const outputs = join(dir, 'github-output');
    const child = spawn('bash', [join(dir, '.github', 'scripts', 'deploy-kubernetes.sh'), ...[args].flat()], {
      cwd: dir,
      env: {
        BEFORE,
        APPLIED,
        UNDONE,
        GITHUB_OUTPUT: outputs,
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
    started(child.pid!);
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    return new Promise((resolve) =>
      child.on('close', (code) => {
        const log = join(dir, 'calls.log');
        const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
        resolve({
          code: code ?? 1,
          stdout,
          stderr,
          calls,
          outputs: existsSync(outputs) ? readFileSync(outputs, 'utf8') : '',
        });
      }),
    );
  }
  return { deploy, dir: () => dir, port: () => port };
}
