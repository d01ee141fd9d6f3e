/**
 * Renders mlship's kustomize tree with the real `kubectl kustomize`, in a throw-away copy of
 * k8s/ where test-only fixtures stand in for production's uncommitted secret files.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parseDocument, stringify } from 'yaml';
import { ROOT } from '../../../scripts/support/repo-root';

export { ROOT };
/** The k8s/ directory of this checkout. */
export const K8S_DIR = join(ROOT, 'k8s');

/** The parts of a Kubernetes object every check relies on; the rest stays open. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** `KUBECTL` when set, else `kubectl` from PATH (.ci/run makes sure one ≥ 1.27 is there). */
export function kubectlPath(): string {
  return process.env.KUBECTL || 'kubectl';
}

/** The kubectl client version as [major, minor]. */
export function kubectlVersion(): [number, number] {
  const out = execFileSync(kubectlPath(), ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const client = (JSON.parse(out) as { clientVersion: { major: string; minor: string } }).clientVersion;
  // Vendor builds write minors like "32+"; only the digits matter.
  return [Number.parseInt(client.major, 10), Number.parseInt(client.minor, 10)];
}

/** A private copy of k8s/ with test secrets in place; remove it with `cleanup()`. */
export interface Workspace {
  dir: string;
  cleanup(): void;
}

/** Test-only stand-ins for what the deploy workflow writes to k8s/base/secrets/. */
export const PRODUCTION_SECRETS_FIXTURE = join(K8S_DIR, 'test', 'fixtures', 'production-secrets');

/**
 * Copies the kustomize tree to a temporary directory. Whatever real secrets a developer keeps
 * locally are dropped; production's secret files are the test fixtures unless `freshClone`,
 * which leaves them out as a fresh clone does. `from` is another k8s/ tree to copy (a snapshot).
 */
export function makeWorkspace(options: { freshClone?: boolean; from?: string } = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-k8s-'));
  for (const part of ['base', 'overlays', 'components', 'kind-cluster.yaml']) {
    cpSync(join(options.from ?? K8S_DIR, part), join(dir, part), { recursive: true });
  }
  const secrets = join(dir, 'base', 'secrets');
  rmSync(join(secrets, 'secrets.env'), { force: true });
  rmSync(join(secrets, 'users.txt'), { force: true });
  if (!options.freshClone) {
    cpSync(join(PRODUCTION_SECRETS_FIXTURE, 'monitoring.env'), join(secrets, 'secrets.env'));
    cpSync(join(PRODUCTION_SECRETS_FIXTURE, 'users.txt'), join(secrets, 'users.txt'));
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `kubectl kustomize` on a directory and parses the YAML stream it prints. */
export function kustomize(dir: string): K8sObject[] {
  const out = execFileSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out).map((doc) => {
    if (doc.errors.length > 0)
      throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${doc.errors[0]!.message}`);
    return doc.toJS() as K8sObject;
  });
}

/** Renders an overlay with extra components, as a deployer would list them under `components:`. */
export function renderCombination(workspace: Workspace, overlay: string, components: readonly string[]): K8sObject[] {
  const name = [overlay, ...components].join('+');
  const dir = join(workspace.dir, 'combinations', name);
  mkdirSync(dir, { recursive: true });
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [`../../overlays/${overlay}`],
    ...(components.length > 0 ? { components: components.map((c) => `../../components/${c}`) } : {}),
  };
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
  return kustomize(dir);
}

/**
 * Does to `<overlay>/kustomization.yaml` what `kustomize edit set image NAME=NEWNAME@DIGEST`
 * does (kubectl has no `edit`; the workflow uses the kustomize CLI on the runner).
 */
export function setImage(workspace: Workspace, overlay: string, name: string, newName: string, digest: string): void {
  const file = join(workspace.dir, 'overlays', overlay, 'kustomization.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const images = (doc.toJS() as { images?: Array<Record<string, string>> }).images ?? [];
  const others = images.filter((image) => image.name !== name);
  doc.set('images', [...others, { name, newName, digest }]);
  writeFileSync(file, doc.toString());
}
