import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIGEST, MODELS, PREVIOUS, ROLLBACK_CALLS, useDeploySandbox } from './support/deploy-kubernetes-sandbox';

/**
 * deploy.yml's kubernetes target, .github/scripts/deploy-kubernetes.sh, run for real against a
 * checkout copy with stand-ins for kubectl, kustomize and npm (support/deploy-kubernetes-sandbox.ts).
 * Cancellation and --rollback: deploy-kubernetes-rollback.test.ts.
 */
const { deploy, dir, port } = useDeploySandbox();

describe('deploy-kubernetes.sh', () => {
  test(
    'when everything is healthy, then it pins the digest in the production overlay, applies, waits, smoke-tests ' +
      'and checks lineage',
    async () => {
      const { code, stderr, calls } = await deploy(DIGEST);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(calls).toEqual([
        `npx tsx k8s/scripts/check-production-secrets.ts --dir ${dir()}/k8s/base/secrets`,
        `kustomize edit set image mlship.invalid/mlship=${DIGEST}`,
        `kubectl kustomize ${dir()}/k8s/overlays/production`,
        'kubectl -n mlship get deployments,replicasets -o json',
        `kubectl apply -k ${dir()}/k8s/overlays/production`,
        'kubectl -n mlship rollout status deployment/api --timeout=300s',
        'kubectl -n mlship rollout status deployment/api-v2 --timeout=300s',
        `kubectl -n mlship port-forward service/api ${port()}:80`,
        `npm run -s lineage -- --url http://127.0.0.1:${port()} --expected ${MODELS}`,
      ]);
      expect(readFileSync(join(dir(), 'k8s/base/secrets/secrets.env'), 'utf8')).toBe('MONITORING_TOKEN=token-123\n');
      expect(readFileSync(join(dir(), 'k8s/base/secrets/users.txt'), 'utf8')).toBe('alice:scrypt$x$y\n');
      expect(statSync(join(dir(), 'k8s/base/secrets/secrets.env')).mode & 0o077).toBe(0);
    },
  );

  test(
    'when the API serves other models than the image records, ' + 'then it rolls both deployments back and fails',
    async () => {
      const { code, stderr, calls, outputs } = await deploy(DIGEST, { LINEAGE_EXIT: '1' });
      expect(code).toBe(1);
      expect(outputs).toBe(`previous=${PREVIOUS}\n`);
      expect(stderr).toContain(
        "deploy-kubernetes: lineage check failed: the API does not serve the image's models; rolling back",
      );
      expect(calls.slice(-ROLLBACK_CALLS.length)).toEqual(ROLLBACK_CALLS);
      expect(stderr).toContain('deploy-kubernetes: rolled back: the previous ReplicaSets serve again');
    },
  );

  test('when the rollout does not finish, then it rolls back without a smoke test', async () => {
    const { code, calls } = await deploy(DIGEST, { FAIL_ROLLOUT: '1' });
    expect(code).toBe(1);
    expect(calls).toContain('kubectl -n mlship rollout undo deployment/api --to-revision=3');
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
    expect(existsSync(join(dir(), 'k8s/components/registry-pull-secret/dockerconfig.json'))).toBe(false);
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
      const file = join(dir(), 'k8s/components/registry-pull-secret/dockerconfig.json');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
        auths: { 'ghcr.io': { auth: Buffer.from(`${user}:ghp_token123`).toString('base64') } },
      });
      expect(statSync(file).mode & 0o077).toBe(0);
      const add = calls.indexOf('kustomize edit add component ../../components/registry-pull-secret');
      expect(add).toBeGreaterThan(calls.indexOf(`kustomize edit set image mlship.invalid/mlship=${DIGEST}`));
      expect(calls.indexOf(`kubectl kustomize ${dir()}/k8s/overlays/production`)).toBeGreaterThan(add);
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
