/**
 * k8s/components/gateway-api as its README tells a deployer to enable it: the README's overlay
 * lines (`components` and `patches`) appended to the production overlay, rendered with kubectl
 * kustomize, and the README's example Gateway and ReferenceGrant. The jest test and the live
 * check read the README through here, so what they check is what a deployer copies.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { K8sObject, Workspace } from './render';
import { K8S_DIR, kubectlPath } from './render';

export const COMPONENT_README = join(K8S_DIR, 'components', 'gateway-api', 'README.md');

/** What the README adds to an overlay's kustomization.yaml. */
export interface OverlayLines {
  components: string[];
  patches: unknown[];
}

/** The README's ```yaml blocks, each parsed as a stream of documents. */
function yamlBlocks(readme: string): unknown[][] {
  return [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map(([, body]) =>
    parseAllDocuments(body!).map((doc) => doc.toJS() as unknown),
  );
}

/** The block that enables the component: the one with `components:`. */
export function readmeOverlayLines(readme = readFileSync(COMPONENT_README, 'utf8')): OverlayLines {
  const blocks = yamlBlocks(readme).filter(
    (docs) => docs.length === 1 && typeof docs[0] === 'object' && docs[0] !== null && 'components' in docs[0],
  );
  if (blocks.length !== 1)
    throw new Error(`${COMPONENT_README}: expected one yaml block with components:, found ${blocks.length}`);
  const lines = blocks[0]![0] as Partial<OverlayLines>;
  return { components: lines.components ?? [], patches: lines.patches ?? [] };
}

/** The example objects of the README (the blocks that are Kubernetes objects). */
export function readmeExamples(readme = readFileSync(COMPONENT_README, 'utf8')): K8sObject[] {
  return yamlBlocks(readme)
    .flat()
    .filter((doc): doc is K8sObject => typeof doc === 'object' && doc !== null && 'apiVersion' in doc && 'kind' in doc);
}

/**
 * Appends `lines` to `<overlay>/kustomization.yaml` in the workspace (a deployer's edit) and
 * renders it with `kubectl` (the tests' kubectl unless told, e.g. the cluster's).
 */
export function renderOverlayWith(
  workspace: Workspace,
  overlay: string,
  lines: OverlayLines,
  kubectl = kubectlPath(),
): K8sObject[] {
  const dir = join(workspace.dir, 'overlays', overlay);
  const file = join(dir, 'kustomization.yaml');
  const kustomization = parse(readFileSync(file, 'utf8')) as { components?: string[]; patches?: unknown[] };
  kustomization.components = [...(kustomization.components ?? []), ...lines.components];
  kustomization.patches = [...(kustomization.patches ?? []), ...lines.patches];
  writeFileSync(file, stringify(kustomization));
  const out = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out).map((doc) => doc.toJS() as K8sObject);
}

/** The objects the component adds to a render: its routes and its NetworkPolicy. */
export function componentObjects(docs: K8sObject[]): K8sObject[] {
  return docs.filter(
    (d) => d.kind === 'HTTPRoute' || (d.kind === 'NetworkPolicy' && d.metadata.name === 'api-allow-gateway'),
  );
}
