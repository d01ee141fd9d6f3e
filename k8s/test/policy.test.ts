import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ALWAYS, imagePolicy, secretsPolicy } from './support/policy';
import type { Check } from './support/policy';
import { kedaFallbackProblem } from './support/policy-availability';
import { credentialsPolicy } from './support/policy-credentials';
import { kindPortMappings, kindRedirectPolicy } from './support/policy-kind';
import type { K8sObject, Workspace } from './support/render';
import { makeWorkspace, PRODUCTION_SECRETS_FIXTURE, ROOT, renderCombination } from './support/render';
import { validateObject } from './support/validate';

/** Proof that each check fails for real: break one rule in a good render, expect its check to say so. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form edits of rendered YAML
type Json = Record<string, any>;

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

const api = (doc: Json): Json => doc.spec.template.spec.containers[0] as Json;
const secretVolume = (doc: Json): Json =>
  (doc.spec.template.spec.volumes as Json[]).find((v) => Boolean(v.secret))!.secret as Json;

/** What breaks, the check that must say so, the object to break (`Kind/name`), the edit, what it reports. */
const cases: Array<[string, Check, string, (doc: Json) => unknown, RegExp]> = [
  [
    'a container may escalate privileges',
    ALWAYS.podSecurityPolicy!,
    'Deployment/api',
    (d) => (api(d).securityContext.allowPrivilegeEscalation = true),
    /allowPrivilegeEscalation/,
  ],
  [
    'the root filesystem is writable',
    ALWAYS.podSecurityPolicy!,
    'Job/train',
    (d) => delete api(d).securityContext.readOnlyRootFilesystem,
    /readOnlyRootFilesystem/,
  ],
  [
    'capabilities are kept',
    ALWAYS.podSecurityPolicy!,
    'Deployment/api-v2',
    (d) => (d.spec.template.spec.initContainers[0].securityContext.capabilities.drop = []),
    /drop ALL/,
  ],
  [
    'seccomp is unconfined',
    ALWAYS.podSecurityPolicy!,
    'Deployment/api',
    (d) => (d.spec.template.spec.securityContext.seccompProfile.type = 'Unconfined'),
    /seccompProfile/,
  ],
  [
    'a pod runs as root',
    ALWAYS.podSecurityPolicy!,
    'Deployment/api',
    (d) => (d.spec.template.spec.securityContext.runAsUser = 0),
    /runAsUser/,
  ],
  [
    'a memory limit is missing',
    ALWAYS.resourcesPolicy!,
    'Deployment/api',
    (d) => delete api(d).resources.limits.memory,
    /no memory limit/,
  ],
  [
    'the readiness probe uses a route the API lacks',
    ALWAYS.probesPolicy!,
    'Deployment/api',
    (d) => (api(d).readinessProbe.httpGet.path = '/ready'),
    /readiness probe path \/ready/,
  ],
  [
    'the liveness probe needs credentials',
    ALWAYS.probesPolicy!,
    'Deployment/api',
    (d) => (api(d).livenessProbe.httpGet.path = '/models'),
    /liveness probe path/,
  ],
  [
    'the startup probe is missing',
    ALWAYS.probesPolicy!,
    'Deployment/api-v2',
    (d) => delete api(d).startupProbe,
    /no startup probe/,
  ],
  [
    'a probe targets another port',
    ALWAYS.probesPolicy!,
    'Deployment/api',
    (d) => (api(d).livenessProbe.httpGet.port = 9000),
    /resolves to 9000/,
  ],
  [
    'the grace period is shorter than the drain',
    ALWAYS.shutdownPolicy!,
    'Deployment/api',
    (d) => (d.spec.template.spec.terminationGracePeriodSeconds = 12),
    /not above preStop/,
  ],
  ['there is no preStop pause', ALWAYS.shutdownPolicy!, 'Deployment/api', (d) => delete api(d).lifecycle, /no preStop/],
  [
    'a Service selects no pod',
    ALWAYS.labelsAndSelectorsPolicy!,
    'Service/api',
    (d) => (d.spec.selector['app.kubernetes.io/instance'] = 'apı'),
    /matches no pod/,
  ],
  [
    'a selector uses an extra label',
    ALWAYS.labelsAndSelectorsPolicy!,
    'Deployment/api',
    (d) => (d.spec.selector.matchLabels['app.kubernetes.io/component'] = 'api'),
    /exactly/,
  ],
  [
    'a Deployment loses its PDB',
    ALWAYS.labelsAndSelectorsPolicy!,
    'PodDisruptionBudget/api-v2',
    (d) => (d.spec.selector.matchLabels['app.kubernetes.io/instance'] = 'api'),
    /Deployment\/api-v2: no PodDisruptionBudget/,
  ],
  [
    'a Service targets the wrong port',
    ALWAYS.servicePortsPolicy!,
    'Service/api-v2',
    (d) => (d.spec.ports[0].targetPort = 8080),
    /targetPort 8080/,
  ],
  [
    'the container port differs from the API port',
    ALWAYS.servicePortsPolicy!,
    'Deployment/api',
    (d) => (api(d).ports[0].containerPort = 3000),
    /port 3000/,
  ],
  [
    'a pod-name variable is not from the downward API',
    ALWAYS.configKeysPolicy!,
    'Deployment/api',
    (d) => (api(d).env[1] = { name: 'POD_NAME', value: 'x' }),
    /env POD_NAME/,
  ],
  [
    'prediction logs are shared by the replicas',
    ALWAYS.modelRegistryPolicy!,
    'Deployment/api',
    (d) => (api(d).env[2].value = '/var/lib/mlship/predictions'),
    /per pod/,
  ],
  [
    'a container has a variable the API does not know',
    ALWAYS.configKeysPolicy!,
    'Deployment/api',
    (d) => void api(d).env.push({ name: 'MODEL_PATH', value: '/x' }),
    /env MODEL_PATH/,
  ],
  [
    'v2 runs as variant v1',
    ALWAYS.configKeysPolicy!,
    'Deployment/api-v2',
    (d) => (api(d).env[0].value = 'v1'),
    /API_VARIANT/,
  ],
  [
    'the API mounts the registry writable',
    ALWAYS.modelRegistryPolicy!,
    'Deployment/api',
    (d) => delete api(d).volumeMounts[0].readOnly,
    /read-only/,
  ],
  [
    'nothing seeds an empty registry',
    ALWAYS.modelRegistryPolicy!,
    'Deployment/api-v2',
    (d) => delete d.spec.template.spec.initContainers,
    /seeds the registry from the image/,
  ],
  [
    'the seed copies from elsewhere',
    ALWAYS.modelRegistryPolicy!,
    'Job/train',
    (d) => (d.spec.template.spec.initContainers[0].command[2] = '/models'),
    /must seed \/models from \/app\/model\/artifacts/,
  ],
  [
    'the Job does not promote',
    ALWAYS.modelRegistryPolicy!,
    'Job/train',
    (d) => void (api(d).command = (api(d).command as string[]).filter((a) => a !== '--promote')),
    /--promote/,
  ],
  [
    'the registry and the logs differ in access modes',
    ALWAYS.modelRegistryPolicy!,
    'PersistentVolumeClaim/model-registry',
    (d) => (d.spec.accessModes = ['ReadWriteOnce']),
    /access modes differ/,
  ],
  [
    'an autoscaled Deployment sets replicas',
    ALWAYS.availabilityPolicy!,
    'Deployment/api',
    (d) => (d.spec.replicas = 3),
    /sets replicas 3 while ScaledObject\/api owns the count/,
  ],
  [
    'v2 runs one pod under its budget',
    ALWAYS.availabilityPolicy!,
    'Deployment/api-v2',
    (d) => (d.spec.replicas = 1),
    /PodDisruptionBudget\/api-v2: lets all 1 pod\(s\) .* protects nothing/,
  ],
  [
    'a budget lets no pod go',
    ALWAYS.availabilityPolicy!,
    'PodDisruptionBudget/api',
    (d) => (d.spec.maxUnavailable = 0),
    /node drains would hang/,
  ],
  [
    'a secret volume is world-readable',
    ALWAYS.secretVolumePolicy!,
    'Deployment/api',
    (d) => (secretVolume(d).defaultMode = 0o644),
    /mode 0644 is wider than 0440/,
  ],
  [
    'a secret volume keeps the default mode',
    ALWAYS.secretVolumePolicy!,
    'Deployment/api-v2',
    (d) => delete secretVolume(d).defaultMode,
    /no defaultMode/,
  ],
  [
    'a pod mounts a service account token',
    ALWAYS.serviceAccountPolicy!,
    'ServiceAccount/mlship',
    (d) => (d.automountServiceAccountToken = true),
    /automount/,
  ],
  [
    'egress opens HTTPS',
    ALWAYS.networkPolicy!,
    'NetworkPolicy/allow-dns-egress',
    (d) => void d.spec.egress[0].ports.push({ port: 443, protocol: 'TCP' }),
    /egress other than DNS/,
  ],
  [
    'deny-all is gone',
    ALWAYS.networkPolicy!,
    'NetworkPolicy/default-deny-all',
    (d) => (d.spec.policyTypes = ['Ingress']),
    /deny-all/,
  ],
  [
    'monitoring cannot reach the API',
    ALWAYS.networkPolicy!,
    'NetworkPolicy/api-allow-ingress-and-monitoring',
    (d) => void d.spec.ingress[0].from.pop(),
    /monitoring/,
  ],
  [
    'the canary listens to another header',
    ALWAYS.ingressPolicy!,
    'Ingress/api-canary',
    (d) => (d.metadata.annotations['nginx.ingress.kubernetes.io/canary-by-header'] = 'X-Canary'),
    /X-Experiment-Group/,
  ],
  [
    'the canary has another host',
    ALWAYS.ingressPolicy!,
    'Ingress/api-canary',
    (d) => (d.spec.rules[0].host = 'other.example.com'),
    /hosts and paths/,
  ],
  [
    'the canary weight is not a number',
    ALWAYS.ingressPolicy!,
    'Ingress/api-canary',
    (d) => (d.metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'] = 'ten'),
    /canary-weight/,
  ],
  ['TLS is dropped', ALWAYS.ingressPolicy!, 'Ingress/api', (d) => delete d.spec.tls, /TLS/],
  [
    'the ScaledObject scales a missing Deployment',
    ALWAYS.autoscalingPolicy!,
    'ScaledObject/api',
    (d) => (d.spec.scaleTargetRef.name = 'web'),
    /web/,
  ],
  [
    'an object leaves the namespace',
    ALWAYS.namespacePolicy!,
    'ServiceMonitor/api',
    (d) => delete d.metadata.namespace,
    /namespace is unset/,
  ],
  [
    'an image comes from Docker Hub',
    imagePolicy(),
    'Job/train',
    (d) => (api(d).image = 'docker.io/library/node:24'),
    /docker\.io/,
  ],
];

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
