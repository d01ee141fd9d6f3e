import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { COMBINATIONS, label } from './support/combinations';
import { IMAGE_NAME } from './support/contract';
import { ALWAYS, imagePolicy, secretsPolicy } from './support/policy';
import type { K8sObject, Workspace } from './support/render';
import { K8S_DIR, kubectlVersion, makeWorkspace, renderCombination, setImage } from './support/render';
import { validateObject } from './support/validate';

/** The values the secret generator reads in tests: the committed examples. */
function exampleSecrets(): Record<string, string> {
  const dir = join(K8S_DIR, 'base', 'secrets');
  const env = parseEnv(readFileSync(join(dir, 'secrets.example.env'), 'utf8')) as Record<string, string>;
  return { ...env, 'users.txt': readFileSync(join(dir, 'users.example.txt'), 'utf8') };
}

let workspace: Workspace;
const renders = new Map<string, K8sObject[]>();

beforeAll(() => {
  workspace = makeWorkspace();
  for (const combination of COMBINATIONS) {
    renders.set(label(combination), renderCombination(workspace, combination.overlay, combination.components));
  }
});

afterAll(() => workspace?.cleanup());

describe('kubectl', () => {
  test('when the tests render, then kubectl is at least 1.27', () => {
    const [major, minor] = kubectlVersion();
    expect(major * 1000 + minor).toBeGreaterThanOrEqual(1027);
  });
});

describe.each(COMBINATIONS.map((c) => [label(c), c] as const))('%s', (name, combination) => {
  const docs = (): K8sObject[] => renders.get(name)!;

  test('when rendered, then every object is valid against its schema with no unknown field', () => {
    expect(docs().flatMap(validateObject)).toEqual([]);
  });

  test.each(Object.keys(ALWAYS))('when rendered, then %s holds', (check) => {
    expect(ALWAYS[check]!(docs())).toEqual([]);
  });

  test('when rendered, then every container runs the released image', () => {
    expect(imagePolicy()(docs())).toEqual([]);
    const images = docs()
      .filter((d) => d.kind === 'Deployment' || d.kind === 'Job')
      .flatMap((d) => JSON.stringify(d).match(/"image":"[^"]+"/g) ?? []);
    const expected = combination.overlay === 'kind' ? `"image":"${IMAGE_NAME}:dev"` : `"image":"${IMAGE_NAME}"`;
    expect(new Set(images)).toEqual(new Set([expected]));
  });

  test('when rendered, then the only Secret is the generated one with the example values', () => {
    expect(secretsPolicy(exampleSecrets())(docs())).toEqual([]);
    expect(docs().filter((d) => d.kind === 'Secret')).toHaveLength(1);
  });

  test('when rendered, then the components it lists are there', () => {
    const kinds = new Set(docs().map((d) => d.kind));
    expect(kinds.has('ServiceMonitor') && kinds.has('PrometheusRule')).toBe(combination.components.includes('monitoring'));
    expect(kinds.has('ScaledObject')).toBe(combination.components.includes('keda'));
  });
});

describe('overlay specifics', () => {
  const find = (name: string, kind: string, objectName: string): K8sObject | undefined => renders.get(name)!.find((d) => d.kind === kind && d.metadata.name === objectName);
  const spec = (doc: K8sObject | undefined): Record<string, unknown> => (doc?.spec ?? {}) as Record<string, unknown>;

  test('when kind is rendered, then v1 has 2 replicas, NodePort 30080 and no CPU autoscaler', () => {
    expect(spec(find('kind', 'Deployment', 'api')).replicas).toBe(2);
    expect(spec(find('kind', 'Service', 'api'))).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30080 }] });
    expect(find('kind', 'HorizontalPodAutoscaler', 'api')).toBeUndefined();
  });

  test('when production is rendered, then v1 has 3 replicas under an HPA from 3, a real host and shared volumes', () => {
    expect(spec(find('production', 'Deployment', 'api')).replicas).toBe(3);
    expect(spec(find('production', 'HorizontalPodAutoscaler', 'api')).minReplicas).toBe(3);
    const hosts = renders.get('production')!.filter((d) => d.kind === 'Ingress').flatMap((d) => (spec(d).rules as Array<{ host: string }>).map((r) => r.host));
    expect(new Set(hosts)).toEqual(new Set(['mlship.example.com']));
    for (const claim of ['model-registry', 'prediction-logs']) expect(spec(find('production', 'PersistentVolumeClaim', claim)).accessModes).toEqual(['ReadWriteMany']);
  });

  test('when custom-metrics-hpa is added, then the HPA also scales on requests in flight', () => {
    const metrics = spec(find('production + custom-metrics-hpa', 'HorizontalPodAutoscaler', 'api')).metrics as Array<{ type: string; pods?: { metric: { name: string } } }>;
    expect(metrics.map((m) => m.pods?.metric.name ?? m.type)).toEqual(['Resource', 'http_requests_in_flight']);
  });

  test('when keda is added, then a ScaledObject replaces the HPA', () => {
    expect(find('production + keda', 'HorizontalPodAutoscaler', 'api')).toBeUndefined();
    expect(find('production + keda', 'ScaledObject', 'api')).toBeDefined();
  });

  test('when monitoring is added, then the ServiceMonitor uses the generated Secret and the API job name', () => {
    const monitor = spec(find('production + monitoring', 'ServiceMonitor', 'api'));
    const endpoint = (monitor.endpoints as Array<Record<string, unknown>>)[0]!;
    const secret = renders.get('production + monitoring')!.find((d) => d.kind === 'Secret')!;
    expect(endpoint).toMatchObject({ port: 'http', path: '/metrics', authorization: { credentials: { name: secret.metadata.name, key: 'MONITORING_TOKEN' } } });
    expect(endpoint.relabelings).toContainEqual({ targetLabel: 'job', replacement: 'mlship-api' });
  });
});

describe('image set by the release workflow', () => {
  test('when kustomize edit set image pins a digest, then every container of production runs that digest', () => {
    const pinned = makeWorkspace();
    try {
      const digest = `sha256:${'ab'.repeat(32)}`;
      setImage(pinned, 'production', IMAGE_NAME, 'ghcr.io/acme/mlship', digest);
      const docs = renderCombination(pinned, 'production', ['monitoring', 'keda']);
      const images = new Set(docs.flatMap((d) => JSON.stringify(d).match(/"image":"[^"]+"/g) ?? []));
      expect(images).toEqual(new Set([`"image":"ghcr.io/acme/mlship@${digest}"`]));
      expect(imagePolicy()(docs)).toEqual([]);
    } finally {
      pinned.cleanup();
    }
  });
});
