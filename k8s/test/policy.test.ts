import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ALWAYS, secretsPolicy } from './support/policy';
import { kedaFallbackProblem } from './support/policy-availability';
import { CLUSTER_CASES } from './support/policy-cases-cluster';
import { WORKLOAD_CASES } from './support/policy-cases-workloads';
import { credentialsPolicy } from './support/policy-credentials';
import type { Json } from './support/policy-edits';
import { api } from './support/policy-edits';
import { kindPortMappings, kindRedirectPolicy } from './support/policy-kind';
import type { K8sObject, Workspace } from './support/render';
import { makeWorkspace, PRODUCTION_SECRETS_FIXTURE, ROOT, renderCombination } from './support/render';
import { validateObject } from './support/validate';

/** Proof that each check fails for real: break one rule in a good render, expect its check to say so. */

let workspace: Workspace;
let good: K8sObject[];
const renders: Record<'plain' | 'kind', K8sObject[]> = { plain: [], kind: [] };

beforeAll(() => {
  workspace = makeWorkspace();
  good = renderCombination(workspace, 'production', ['monitoring', 'keda', 'retraining']);
  renders.plain = renderCombination(workspace, 'production', []);
  renders.kind = renderCombination(workspace, 'kind', []);
});

afterAll(() => workspace?.cleanup());

/** The generated object whose name starts with `prefix` (kustomize appends a hash). */
const generated = (docs: K8sObject[], kind: string, prefix: string): string =>
  docs.find((d) => d.kind === kind && d.metadata.name.startsWith(prefix))!.metadata.name;

/** A deep copy of a good render (`from`) with `edit` applied to the object `kind/name`. */
function broken(kind: string, name: string, edit: (doc: Json) => unknown, from: K8sObject[] = good): K8sObject[] {
  const docs = structuredClone(from);
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind}/${name} in the render`);
  edit(doc);
  return docs;
}

const cases = [...WORKLOAD_CASES, ...CLUSTER_CASES];

test('when the ConfigMap has a key the API does not know, then configKeysPolicy reports it', () => {
  const name = good.find((d) => d.kind === 'ConfigMap')!.metadata.name;
  const problems = ALWAYS.configKeysPolicy!(broken('ConfigMap', name, (d) => (d.data.MODEL_PATH = '/models')));
  expect(problems.join('\n')).toMatch(/key MODEL_PATH is not a setting of the API/);
});

test.each(cases)('when %s, then the check reports it', (_what, check, object, edit, expected) => {
  expect(check(good)).toEqual([]);
  const [kind, name] = object.split('/') as [string, string];
  const problems = check(broken(kind, name, edit));
  expect(problems.join('\n')).toMatch(expected);
});

test('when another value replaces the expected secret, then secretsPolicy reports it', () => {
  const env = parseEnv(readFileSync(join(PRODUCTION_SECRETS_FIXTURE, 'monitoring.env'), 'utf8')) as Record<
    string,
    string
  >;
  const values = { ...env, 'users.txt': readFileSync(join(PRODUCTION_SECRETS_FIXTURE, 'users.txt'), 'utf8') };
  expect(secretsPolicy(values)(good)).toEqual([]);
  const docs = broken(
    'Secret',
    generated(good, 'Secret', 'mlship-secrets-'),
    (d) => (d.data.MONITORING_TOKEN = Buffer.from('s3cr3t').toString('base64')),
  );
  expect(secretsPolicy(values)(docs).join('\n')).toMatch(/MONITORING_TOKEN is not the value the overlay should carry/);
});

describe('models served by default (no retraining component)', () => {
  test("when a volume is mounted over the image's registry, then modelRegistryPolicy reports it", () => {
    expect(ALWAYS.modelRegistryPolicy!(renders.plain)).toEqual([]);
    const docs = broken(
      'Deployment',
      'api',
      (d) => void api(d).volumeMounts.push({ name: 'tmp', mountPath: '/app/model' }),
      renders.plain,
    );
    expect(ALWAYS.modelRegistryPolicy!(docs).join('\n')).toMatch(/volume tmp at \/app\/model hides the image's models/);
  });

  test('when MODEL_DIR points elsewhere, then modelRegistryPolicy reports it', () => {
    const docs = broken(
      'ConfigMap',
      generated(renders.plain, 'ConfigMap', 'mlship-config-'),
      (d) => (d.data.MODEL_DIR = '/models'),
      renders.plain,
    );
    expect(ALWAYS.modelRegistryPolicy!(docs).join('\n')).toMatch(/MODEL_DIR \/models is not the image's registry/);
  });

  test('when retraining does not poll for a new version, then modelRegistryPolicy reports it', () => {
    const docs = broken(
      'ConfigMap',
      generated(good, 'ConfigMap', 'mlship-config-'),
      (d) => delete d.data.MODEL_POLL_INTERVAL_MS,
    );
    expect(ALWAYS.modelRegistryPolicy!(docs).join('\n')).toMatch(/MODEL_POLL_INTERVAL_MS is not set/);
  });
});

describe('credentials', () => {
  const config = (docs: K8sObject[]): string => generated(docs, 'ConfigMap', 'mlship-config-');
  const devUsers = readFileSync(join(ROOT, 'api', 'users.dev.txt'), 'utf8');

  test('when production opts in to the development credentials, then credentialsPolicy reports it', () => {
    expect(credentialsPolicy('production')(good)).toEqual([]);
    const docs = broken('ConfigMap', config(good), (d) => (d.data.ALLOW_DEV_CREDENTIALS = 'true'));
    expect(credentialsPolicy('production')(docs).join('\n')).toMatch(/production must never set ALLOW_DEV_CREDENTIALS/);
  });

  test('when production carries the development users, then credentialsPolicy reports it', () => {
    const docs = broken(
      'Secret',
      generated(good, 'Secret', 'mlship-secrets-'),
      (d) => (d.data['users.txt'] = Buffer.from(devUsers).toString('base64')),
    );
    expect(credentialsPolicy('production')(docs).join('\n')).toMatch(
      /published development users \(alice, bob, clementine\)/,
    );
  });

  test('when kind does not opt in, then credentialsPolicy reports it', () => {
    expect(credentialsPolicy('kind')(renders.kind)).toEqual([]);
    const docs = broken('ConfigMap', config(renders.kind), (d) => delete d.data.ALLOW_DEV_CREDENTIALS, renders.kind);
    expect(credentialsPolicy('kind')(docs).join('\n')).toMatch(/must opt in with ALLOW_DEV_CREDENTIALS=true/);
  });
});

describe('kind ingress', () => {
  test('when the Ingress redirects HTTP while 443 maps to host port 9443, then kindRedirectPolicy reports it', () => {
    const check = kindRedirectPolicy(kindPortMappings());
    expect(check(renders.kind)).toEqual([]);
    const docs = broken(
      'Ingress',
      'api',
      (d) => delete d.metadata.annotations['nginx.ingress.kubernetes.io/ssl-redirect'],
      renders.kind,
    );
    expect(check(docs).join('\n')).toMatch(
      /Ingress\/api: HTTP is redirected to port 443, but kind-cluster.yaml maps the controller's 443 to host port 9443/,
    );
    expect(kindRedirectPolicy([{ containerPort: 443, hostPort: 443 }])(docs)).toEqual([]);
  });
});

describe('KEDA admission', () => {
  const scaledObject = (): K8sObject => good.find((d) => d.kind === 'ScaledObject')!;

  test('when the fallback has only the cpu trigger left, then KEDA 2.17 rejects it too', () => {
    expect(kedaFallbackProblem(scaledObject(), [2, 17])).toBeUndefined();
    const docs = broken(
      'ScaledObject',
      'api',
      (d) => (d.spec.triggers = d.spec.triggers.filter((t: Json) => t.type === 'cpu')),
    );
    expect(
      kedaFallbackProblem(
        docs.find((d) => d.kind === 'ScaledObject')!,
        [2, 17],
      ),
    ).toMatch(/rejects fallback without a non-cpu\/memory AverageValue trigger/);
  });

  test('when KEDA 2.16 reads the ScaledObject, then it rejects the fallback beside the cpu trigger', () => {
    expect(kedaFallbackProblem(scaledObject(), [2, 16])).toMatch(/KEDA 2.16 rejects fallback beside the cpu trigger/);
    expect(
      kedaFallbackProblem(
        broken('ScaledObject', 'api', (d) => delete d.spec.fallback).find((d) => d.kind === 'ScaledObject')!,
        [2, 16],
      ),
    ).toBeUndefined();
  });
});

describe('schema validation', () => {
  const errorsOf = (kind: string, name: string, edit: (doc: Json) => unknown): string =>
    broken(kind, name, edit).flatMap(validateObject).join('\n');

  test('when a field is misspelt, then it is reported as unknown', () => {
    expect(errorsOf('Deployment', 'api', (d) => (api(d).securityContext.readOnlyRootFileSystem = true))).toMatch(
      /unknown field \/spec\/template\/spec\/containers\/0\/securityContext\/readOnlyRootFileSystem/,
    );
    expect(errorsOf('Ingress', 'api', (d) => (d.spec.rules[0].http.paths[0].backend.serviceName = 'api'))).toMatch(
      /unknown field .*serviceName/,
    );
  });

  test('when a field has the wrong type, then kubernetes-models rejects it', () => {
    expect(errorsOf('Service', 'api', (d) => (d.spec.ports[0].port = 'eighty'))).toMatch(/Service\/api: .*port/);
  });

  test('when a custom resource has an unknown or missing field, then its schema rejects it', () => {
    expect(errorsOf('ServiceMonitor', 'api', (d) => (d.spec.endpoints[0].bearerTokenSecrets = {}))).toMatch(
      /bearerTokenSecrets/,
    );
    expect(errorsOf('ScaledObject', 'api', (d) => delete d.spec.triggers)).toMatch(/triggers/);
    expect(errorsOf('PrometheusRule', 'mlship', (d) => (d.spec.groups[0].rules[0].fore = '5m'))).toMatch(/fore/);
  });

  test('when a kind has no schema, then validation refuses it', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual([
      'Pod/x: no schema for v1/Pod; add it to k8s/test/support/validate.ts',
    ]);
  });
});
