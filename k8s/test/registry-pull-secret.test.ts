import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALWAYS } from './support/policy';
import type { K8sObject, Workspace } from './support/render';
import { makeWorkspace, renderCombination, ROOT } from './support/render';
import { validateObject } from './support/validate';

/**
 * components/registry-pull-secret: the optional pull credentials of the `kubernetes` target
 * (.github/scripts/deploy-kubernetes.sh writes dockerconfig.json and adds the component when
 * REGISTRY_PULL_SECRET is set). Rendered here with a test-only dockerconfig.json.
 */
const DOCKER_CONFIG = JSON.stringify({
  auths: { 'ghcr.io': { auth: Buffer.from('robot:test-token').toString('base64') } },
});

let workspace: Workspace;
let docs: K8sObject[];
let plain: K8sObject[];

beforeAll(() => {
  workspace = makeWorkspace();
  writeFileSync(join(workspace.dir, 'components', 'registry-pull-secret', 'dockerconfig.json'), DOCKER_CONFIG);
  docs = renderCombination(workspace, 'production', ['retraining', 'registry-pull-secret']);
  plain = renderCombination(workspace, 'production', []);
});
afterAll(() => workspace?.cleanup());

const find = (objects: K8sObject[], kind: string, name: string): K8sObject & Record<string, unknown> =>
  objects.find((d) => d.kind === kind && d.metadata.name === name) as K8sObject & Record<string, unknown>;

test(
  'when the component is added, then the ServiceAccount every pod runs as pulls with a dockerconfigjson Secret ' +
    'of the written file',
  () => {
    expect(find(docs, 'ServiceAccount', 'mlship').imagePullSecrets).toEqual([{ name: 'mlship-registry' }]);
    const secret = find(docs, 'Secret', 'mlship-registry');
    expect(secret).toMatchObject({ type: 'kubernetes.io/dockerconfigjson', metadata: { namespace: 'mlship' } });
    expect(Buffer.from((secret.data as Record<string, string>)['.dockerconfigjson']!, 'base64').toString('utf8')).toBe(
      DOCKER_CONFIG,
    );
    const accounts = docs
      .filter((d) => d.kind === 'Deployment' || d.kind === 'Job')
      .map((d) => (d.spec as { template: { spec: { serviceAccountName?: string } } }).template.spec.serviceAccountName);
    expect(accounts).toEqual(['mlship', 'mlship', 'mlship']);
  },
);

test('when the component is added, then every object is valid and every policy still holds', () => {
  expect(docs.flatMap(validateObject)).toEqual([]);
  for (const [name, check] of Object.entries(ALWAYS)) expect([name, check(docs)]).toEqual([name, []]);
});

test('when it is not added, then the ServiceAccount names no pull secret (the package must be public)', () => {
  expect(find(plain, 'ServiceAccount', 'mlship').imagePullSecrets).toBeUndefined();
  expect(plain.filter((d) => d.kind === 'Secret').map((d) => d.metadata.name)).toEqual([
    expect.stringMatching(/^mlship-secrets-/),
  ]);
});

test('when git looks at the credentials file, then it ignores it', () => {
  const path = 'k8s/components/registry-pull-secret/dockerconfig.json';
  expect(execFileSync('git', ['check-ignore', '--no-index', path], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe(path);
});
