import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { Combination } from './support/combinations';
import { COMBINATIONS, label } from './support/combinations';
import { IMAGE_NAME, KEDA_MIN_VERSION } from './support/contract';
import { ALWAYS, imagePolicy, secretsPolicy } from './support/policy';
import { kedaFallbackProblem } from './support/policy-availability';
import { credentialsPolicy } from './support/policy-credentials';
import { kindPortMappings, kindRedirectPolicy } from './support/policy-kind';
import type { K8sObject, Workspace } from './support/render';
import {
  K8S_DIR,
  kubectlVersion,
  makeWorkspace,
  PRODUCTION_SECRETS_FIXTURE,
  renderCombination,
  setImage,
} from './support/render';
import { validateObject } from './support/validate';
import { readAllDocPages } from '../../scripts/test/doc-pages';

/** The values the overlay's Secret must hold: kind's committed development ones, or the production fixtures. */
function expectedSecrets(overlay: Combination['overlay']): Record<string, string> {
  const dir = overlay === 'kind' ? join(K8S_DIR, 'overlays', 'kind', 'dev-credentials') : PRODUCTION_SECRETS_FIXTURE;
  const env = parseEnv(readFileSync(join(dir, 'monitoring.env'), 'utf8')) as Record<string, string>;
  return { ...env, 'users.txt': readFileSync(join(dir, overlay === 'kind' ? 'users.dev.txt' : 'users.txt'), 'utf8') };
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

  test("when rendered, then the only Secret is the generated one with the overlay's values", () => {
    expect(secretsPolicy(expectedSecrets(combination.overlay))(docs())).toEqual([]);
    expect(docs().filter((d) => d.kind === 'Secret')).toHaveLength(1);
  });

  test(`when rendered, then ${
    combination.overlay === 'kind'
      ? 'the API opts in to the development credentials'
      : 'no container opts in and the credentials are real'
  }`, () => {
    expect(credentialsPolicy(combination.overlay)(docs())).toEqual([]);
  });

  test('when rendered, then the components it lists are there', () => {
    const kinds = new Set(docs().map((d) => d.kind));
    expect(kinds.has('ServiceMonitor') && kinds.has('PrometheusRule')).toBe(
      combination.components.includes('monitoring'),
    );
    expect(kinds.has('ScaledObject')).toBe(combination.components.includes('keda'));
    expect(kinds.has('Job')).toBe(combination.components.includes('retraining'));
  });

  if (combination.overlay === 'kind') {
    test('when rendered, then plain HTTP on the mapped host port is served, not redirected to an unmapped 443', () => {
      expect(kindRedirectPolicy(kindPortMappings())(docs())).toEqual([]);
    });
  }
});

describe('overlay specifics', () => {
  const find = (name: string, kind: string, objectName: string): K8sObject | undefined =>
    renders.get(name)!.find((d) => d.kind === kind && d.metadata.name === objectName);
  const spec = (doc: K8sObject | undefined): Record<string, unknown> => (doc?.spec ?? {}) as Record<string, unknown>;

  test('when kind is rendered, then v1 has 2 replicas, v2 has 2, NodePort 30080 and no CPU autoscaler', () => {
    expect(spec(find('kind', 'Deployment', 'api')).replicas).toBe(2);
    expect(spec(find('kind', 'Deployment', 'api-v2')).replicas).toBe(2);
    expect(spec(find('kind', 'Service', 'api'))).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30080 }] });
    expect(find('kind', 'HorizontalPodAutoscaler', 'api')).toBeUndefined();
  });

  test(
    "when production is rendered, then the HPA from 3 owns v1's count, " + 'v2 has 2, a real host and shared volumes',
    () => {
      expect(spec(find('production', 'Deployment', 'api'))).not.toHaveProperty('replicas');
      expect(spec(find('production', 'Deployment', 'api-v2')).replicas).toBe(2);
      expect(spec(find('production', 'HorizontalPodAutoscaler', 'api')).minReplicas).toBe(3);
      const hosts = renders
        .get('production')!
        .filter((d) => d.kind === 'Ingress')
        .flatMap((d) => (spec(d).rules as Array<{ host: string }>).map((r) => r.host));
      expect(new Set(hosts)).toEqual(new Set(['mlship.example.com']));
      for (const claim of ['model-registry', 'prediction-logs'])
        expect(spec(find('production + retraining', 'PersistentVolumeClaim', claim)).accessModes).toEqual([
          'ReadWriteMany',
        ]);
      expect(spec(find('kind + retraining', 'PersistentVolumeClaim', 'model-registry')).accessModes).toEqual([
        'ReadWriteOnce',
      ]);
    },
  );

  test("when no component is added, then the API serves the image's models: no registry PVC, no Job", () => {
    for (const overlay of ['kind', 'production']) {
      expect(find(overlay, 'PersistentVolumeClaim', 'model-registry')).toBeUndefined();
      expect(renders.get(overlay)!.filter((d) => d.kind === 'Job')).toEqual([]);
      const config = renders
        .get(overlay)!
        .find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('mlship-config-'))!;
      expect((config.data as Record<string, string>).MODEL_DIR).toBe('/app/model/artifacts');
    }
  });

  test('when custom-metrics-hpa is added, then the HPA also scales on requests in flight', () => {
    const metrics = spec(find('production + custom-metrics-hpa', 'HorizontalPodAutoscaler', 'api')).metrics as Array<{
      type: string;
      pods?: { metric: { name: string } };
    }>;
    expect(metrics.map((m) => m.pods?.metric.name ?? m.type)).toEqual(['Resource', 'http_requests_in_flight']);
  });

  test('when keda is added, then a ScaledObject replaces the HPA and owns the count, on kind too', () => {
    for (const overlay of ['production', 'kind']) {
      expect(find(`${overlay} + keda`, 'HorizontalPodAutoscaler', 'api')).toBeUndefined();
      expect(find(`${overlay} + keda`, 'ScaledObject', 'api')).toBeDefined();
      expect(spec(find(`${overlay} + keda`, 'Deployment', 'api'))).not.toHaveProperty('replicas');
    }
  });

  test('when monitoring is added, then the ServiceMonitor uses the generated Secret and the API job name', () => {
    const monitor = spec(find('production + monitoring', 'ServiceMonitor', 'api'));
    const endpoint = (monitor.endpoints as Array<Record<string, unknown>>)[0]!;
    const secret = renders.get('production + monitoring')!.find((d) => d.kind === 'Secret')!;
    expect(endpoint).toMatchObject({
      port: 'http',
      path: '/metrics',
      authorization: { credentials: { name: secret.metadata.name, key: 'MONITORING_TOKEN' } },
    });
    expect(endpoint.relabelings).toContainEqual({ targetLabel: 'job', replacement: 'mlship-api' });
  });
});

describe('KEDA version', () => {
  const [major, minor] = KEDA_MIN_VERSION;
  const scaledObject = (): K8sObject => renders.get('production + keda')!.find((d) => d.kind === 'ScaledObject')!;

  test(`when KEDA ${major}.${minor}'s admission rule reads the ScaledObject, then it accepts it`, () => {
    expect(kedaFallbackProblem(scaledObject(), KEDA_MIN_VERSION)).toBeUndefined();
    expect(kedaFallbackProblem(scaledObject(), [2, 20])).toBeUndefined();
  });

  test('when an older KEDA reads it, then its webhook would reject the fallback beside the cpu trigger', () => {
    expect(kedaFallbackProblem(scaledObject(), [major, minor - 1])).toMatch(/rejects fallback beside the cpu trigger/);
  });

  test('when the component and the docs say which KEDA it needs, then it is that version', () => {
    const stated = `KEDA >= ${major}.${minor}`;
    expect(readFileSync(join(K8S_DIR, 'components', 'keda', 'kustomization.yaml'), 'utf8')).toContain(stated);
    expect(readAllDocPages()).toContain(`KEDA ≥ ${major}.${minor}`);
  });
});

describe('image set by the release workflow', () => {
  test('when kustomize edit set image pins a digest, then every container of production runs that digest', () => {
    const pinned = makeWorkspace();
    try {
      const digest = `sha256:${'ab'.repeat(32)}`;
      setImage(pinned, 'production', IMAGE_NAME, 'ghcr.io/acme/mlship', digest);
      const docs = renderCombination(pinned, 'production', ['monitoring', 'keda', 'retraining']);
      const images = new Set(docs.flatMap((d) => JSON.stringify(d).match(/"image":"[^"]+"/g) ?? []));
      expect(images).toEqual(new Set([`"image":"ghcr.io/acme/mlship@${digest}"`]));
      expect(imagePolicy()(docs)).toEqual([]);
    } finally {
      pinned.cleanup();
    }
  });
});
