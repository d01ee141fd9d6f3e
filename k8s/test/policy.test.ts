import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALWAYS, imagePolicy, secretsPolicy } from './support/policy';
import type { Check } from './support/policy';
import type { K8sObject, Workspace } from './support/render';
import { K8S_DIR, makeWorkspace, renderCombination } from './support/render';
import { validateObject } from './support/validate';

/** Proof that each check fails for real: break one rule in a good render, expect its check to say so. */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form edits of rendered YAML

let workspace: Workspace;
let good: K8sObject[];

beforeAll(() => {
  workspace = makeWorkspace();
  good = renderCombination(workspace, 'production', ['monitoring', 'keda']);
});

afterAll(() => workspace?.cleanup());

/** A deep copy of the good render with `edit` applied to the object `kind/name`. */
function broken(kind: string, name: string, edit: (doc: Json) => unknown): K8sObject[] {
  const docs = structuredClone(good);
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind}/${name} in the render`);
  edit(doc);
  return docs;
}

const api = (doc: Json): Json => doc.spec.template.spec.containers[0] as Json;

const cases: Array<[string, Check, string, string, (doc: Json) => unknown, RegExp]> = [
  ['a container may escalate privileges', ALWAYS.podSecurityPolicy!, 'Deployment', 'api', (d) => (api(d).securityContext.allowPrivilegeEscalation = true), /allowPrivilegeEscalation/],
  ['the root filesystem is writable', ALWAYS.podSecurityPolicy!, 'Job', 'train', (d) => delete api(d).securityContext.readOnlyRootFilesystem, /readOnlyRootFilesystem/],
  ['capabilities are kept', ALWAYS.podSecurityPolicy!, 'Deployment', 'api-v2', (d) => (d.spec.template.spec.initContainers[0].securityContext.capabilities.drop = []), /drop ALL/],
  ['seccomp is unconfined', ALWAYS.podSecurityPolicy!, 'Deployment', 'api', (d) => (d.spec.template.spec.securityContext.seccompProfile.type = 'Unconfined'), /seccompProfile/],
  ['a pod runs as root', ALWAYS.podSecurityPolicy!, 'Deployment', 'api', (d) => (d.spec.template.spec.securityContext.runAsUser = 0), /runAsUser/],
  ['a memory limit is missing', ALWAYS.resourcesPolicy!, 'Deployment', 'api', (d) => delete api(d).resources.limits.memory, /no memory limit/],
  ['the readiness probe uses a route the API lacks', ALWAYS.probesPolicy!, 'Deployment', 'api', (d) => (api(d).readinessProbe.httpGet.path = '/ready'), /readiness probe path \/ready/],
  ['the liveness probe needs credentials', ALWAYS.probesPolicy!, 'Deployment', 'api', (d) => (api(d).livenessProbe.httpGet.path = '/models'), /liveness probe path/],
  ['the startup probe is missing', ALWAYS.probesPolicy!, 'Deployment', 'api-v2', (d) => delete api(d).startupProbe, /no startup probe/],
  ['a probe targets another port', ALWAYS.probesPolicy!, 'Deployment', 'api', (d) => (api(d).livenessProbe.httpGet.port = 9000), /resolves to 9000/],
  ['the grace period is shorter than the drain', ALWAYS.shutdownPolicy!, 'Deployment', 'api', (d) => (d.spec.template.spec.terminationGracePeriodSeconds = 12), /not above preStop/],
  ['there is no preStop pause', ALWAYS.shutdownPolicy!, 'Deployment', 'api', (d) => delete api(d).lifecycle, /no preStop/],
  ['a Service selects no pod', ALWAYS.labelsAndSelectorsPolicy!, 'Service', 'api', (d) => (d.spec.selector['app.kubernetes.io/instance'] = 'apı'), /matches no pod/],
  ['a selector uses an extra label', ALWAYS.labelsAndSelectorsPolicy!, 'Deployment', 'api', (d) => (d.spec.selector.matchLabels['app.kubernetes.io/component'] = 'api'), /exactly/],
  ['a Deployment loses its PDB', ALWAYS.labelsAndSelectorsPolicy!, 'PodDisruptionBudget', 'api-v2', (d) => (d.spec.selector.matchLabels['app.kubernetes.io/instance'] = 'api'), /Deployment\/api-v2: no PodDisruptionBudget/],
  ['a Service targets the wrong port', ALWAYS.servicePortsPolicy!, 'Service', 'api-v2', (d) => (d.spec.ports[0].targetPort = 8080), /targetPort 8080/],
  ['the container port differs from the API port', ALWAYS.servicePortsPolicy!, 'Deployment', 'api', (d) => (api(d).ports[0].containerPort = 3000), /port 3000/],
  ['a pod-name variable is not from the downward API', ALWAYS.configKeysPolicy!, 'Deployment', 'api', (d) => (api(d).env[1] = { name: 'POD_NAME', value: 'x' }), /env POD_NAME/],
  ['prediction logs are shared by the replicas', ALWAYS.modelRegistryPolicy!, 'Deployment', 'api', (d) => (api(d).env[2].value = '/var/lib/mlship/predictions'), /per pod/],
  ['a container has a variable the API does not know', ALWAYS.configKeysPolicy!, 'Deployment', 'api', (d) => void api(d).env.push({ name: 'MODEL_PATH', value: '/x' }), /env MODEL_PATH/],
  ['v2 runs as variant v1', ALWAYS.configKeysPolicy!, 'Deployment', 'api-v2', (d) => (api(d).env[0].value = 'v1'), /API_VARIANT/],
  ['the API mounts the registry writable', ALWAYS.modelRegistryPolicy!, 'Deployment', 'api', (d) => delete api(d).volumeMounts[0].readOnly, /read-only/],
  ['nothing waits for a model', ALWAYS.modelRegistryPolicy!, 'Deployment', 'api-v2', (d) => delete d.spec.template.spec.initContainers, /init container/],
  ['the Job does not promote', ALWAYS.modelRegistryPolicy!, 'Job', 'train', (d) => void (api(d).command = (api(d).command as string[]).filter((a) => a !== '--promote')), /--promote/],
  ['a pod mounts a service account token', ALWAYS.serviceAccountPolicy!, 'ServiceAccount', 'mlship', (d) => (d.automountServiceAccountToken = true), /automount/],
  ['egress opens HTTPS', ALWAYS.networkPolicy!, 'NetworkPolicy', 'allow-dns-egress', (d) => void d.spec.egress[0].ports.push({ port: 443, protocol: 'TCP' }), /egress other than DNS/],
  ['deny-all is gone', ALWAYS.networkPolicy!, 'NetworkPolicy', 'default-deny-all', (d) => (d.spec.policyTypes = ['Ingress']), /deny-all/],
  ['monitoring cannot reach the API', ALWAYS.networkPolicy!, 'NetworkPolicy', 'api-allow-ingress-and-monitoring', (d) => void d.spec.ingress[0].from.pop(), /monitoring/],
  ['the canary listens to another header', ALWAYS.ingressPolicy!, 'Ingress', 'api-canary', (d) => (d.metadata.annotations['nginx.ingress.kubernetes.io/canary-by-header'] = 'X-Canary'), /X-Experiment-Group/],
  ['the canary has another host', ALWAYS.ingressPolicy!, 'Ingress', 'api-canary', (d) => (d.spec.rules[0].host = 'other.example.com'), /hosts and paths/],
  ['the canary weight is not a number', ALWAYS.ingressPolicy!, 'Ingress', 'api-canary', (d) => (d.metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'] = 'ten'), /canary-weight/],
  ['TLS is dropped', ALWAYS.ingressPolicy!, 'Ingress', 'api', (d) => delete d.spec.tls, /TLS/],
  ['the ScaledObject scales a missing Deployment', ALWAYS.autoscalingPolicy!, 'ScaledObject', 'api', (d) => (d.spec.scaleTargetRef.name = 'web'), /web/],
  ['an object leaves the namespace', ALWAYS.namespacePolicy!, 'ServiceMonitor', 'api', (d) => delete d.metadata.namespace, /namespace is unset/],
  ['an image comes from Docker Hub', imagePolicy(), 'Job', 'train', (d) => (api(d).image = 'docker.io/library/node:24'), /docker\.io/],
];

test('when the ConfigMap has a key the API does not know, then configKeysPolicy reports it', () => {
  const name = good.find((d) => d.kind === 'ConfigMap')!.metadata.name;
  const problems = ALWAYS.configKeysPolicy!(broken('ConfigMap', name, (d) => (d.data.MODEL_PATH = '/models')));
  expect(problems.join('\n')).toMatch(/key MODEL_PATH is not a setting of the API/);
});

test.each(cases)('when %s, then the check reports it', (_what, check, kind, name, edit, expected) => {
  expect(check(good)).toEqual([]);
  const problems = check(broken(kind, name, edit));
  expect(problems.join('\n')).toMatch(expected);
});

test('when a real value replaces the example secret, then secretsPolicy reports it', () => {
  const values = { MONITORING_TOKEN: 'change-me-monitoring-token', 'users.txt': readFileSync(join(K8S_DIR, 'base', 'secrets', 'users.example.txt'), 'utf8') };
  expect(secretsPolicy(values)(good)).toEqual([]);
  const docs = broken('Secret', good.find((d) => d.kind === 'Secret')!.metadata.name, (d) => (d.data.MONITORING_TOKEN = Buffer.from('s3cr3t').toString('base64')));
  expect(secretsPolicy(values)(docs).join('\n')).toMatch(/MONITORING_TOKEN is not the committed example's value/);
});

describe('schema validation', () => {
  const errorsOf = (kind: string, name: string, edit: (doc: Json) => unknown): string => broken(kind, name, edit).flatMap(validateObject).join('\n');

  test('when a field is misspelt, then it is reported as unknown', () => {
    expect(errorsOf('Deployment', 'api', (d) => (api(d).securityContext.readOnlyRootFileSystem = true))).toMatch(/unknown field \/spec\/template\/spec\/containers\/0\/securityContext\/readOnlyRootFileSystem/);
    expect(errorsOf('Ingress', 'api', (d) => (d.spec.rules[0].http.paths[0].backend.serviceName = 'api'))).toMatch(/unknown field .*serviceName/);
  });

  test('when a field has the wrong type, then kubernetes-models rejects it', () => {
    expect(errorsOf('Service', 'api', (d) => (d.spec.ports[0].port = 'eighty'))).toMatch(/Service\/api: .*port/);
  });

  test('when a custom resource has an unknown or missing field, then its schema rejects it', () => {
    expect(errorsOf('ServiceMonitor', 'api', (d) => (d.spec.endpoints[0].bearerTokenSecrets = {}))).toMatch(/bearerTokenSecrets/);
    expect(errorsOf('ScaledObject', 'api', (d) => delete d.spec.triggers)).toMatch(/triggers/);
    expect(errorsOf('PrometheusRule', 'mlship', (d) => (d.spec.groups[0].rules[0].fore = '5m'))).toMatch(/fore/);
  });

  test('when a kind has no schema, then validation refuses it', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual(['Pod/x: no schema for v1/Pod; add it to k8s/test/support/validate.ts']);
  });
});
