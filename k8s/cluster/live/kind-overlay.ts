/**
 * The project's kind overlay (k8s/overlays/kind) on the live cluster, in a namespace of the check's
 * own. A throw-away kustomization beside it does what a deployer's would, and nothing more: its
 * namespace (kustomize renames the Namespace object too, keeping its Pod Security labels), the
 * image the node holds (`kustomize edit set image`'s field), the check's NodePort, and one label on
 * every object and pod, `mlship.io/live-check: <namespace>`, so that a node-wide command
 * (`kubectl drain --pod-selector`) can be limited to this namespace's pods.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { parseAllDocuments, stringify } from 'yaml';
import type { LiveCluster } from './context';
import { manifestsDir } from './manifests';
import { deleteNamespace, retireNamespaces } from './namespaces';
import { waitUntil } from './pods';
export const CHECK_LABEL = 'mlship.io/live-check';

/** Any rendered object; the checks read the few fields they need. */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface OverlayTarget {
  namespace: string;
  nodePort: number;
}

/** The namespace and NodePort of the kind overlay the traffic and Pod Security checks share. */
export const SHARED_TARGET: OverlayTarget = { namespace: 'mlship-live-traffic', nodePort: 30081 };

type Deployed = Awaited<ReturnType<typeof deployKindOverlay>>;

/** kustomize's `images:` entry for `image` (name:tag or name@digest). */
export function imageEntry(image: string): Record<string, string> {
  const at = image.indexOf('@');
  if (at > 0) return { name: 'mlship.invalid/mlship', newName: image.slice(0, at), digest: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  const tagged = colon > image.lastIndexOf('/');
  return {
    name: 'mlship.invalid/mlship',
    newName: tagged ? image.slice(0, colon) : image,
    newTag: tagged ? image.slice(colon + 1) : 'latest',
  };
}

/** The kustomization, in `dir`, that places the kind overlay in the check's namespace. */
export function kustomization(dir: string, image: string, target: OverlayTarget): Record<string, unknown> {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: target.namespace,
    // kustomize refuses an absolute path to a kustomization.
    resources: [relative(dir, join(manifestsDir(), 'overlays', 'kind'))],
    images: [imageEntry(image)],
    labels: [{ pairs: { [CHECK_LABEL]: target.namespace }, includeSelectors: false, includeTemplates: true }],
    patches: [
      {
        target: { kind: 'Service', name: 'api' },
        patch: stringify([{ op: 'replace', path: '/spec/ports/0/nodePort', value: target.nodePort }]),
      },
    ],
  };
}

/** `kubectl kustomize` of the overlay for `target`: the YAML to apply and its objects. */
export function renderKindOverlay(
  cluster: LiveCluster,
  target: OverlayTarget,
): { yaml: string; objects: RenderedObject[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-live-'));
  try {
    writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization(dir, cluster.image, target)));
    const result = cluster.kubectl(['kustomize', dir]);
    if (result.status !== 0) throw new Error(`kubectl kustomize of the kind overlay failed: ${result.out}`);
    return { yaml: result.out, objects: parseAllDocuments(result.out).map((doc) => doc.toJS() as RenderedObject) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function deployment(objects: RenderedObject[], name: string): IDeployment {
  const found = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  if (!found) throw new Error(`the rendered overlay has no Deployment ${name}`);
  return found as unknown as IDeployment;
}

/** The API Deployments of the overlay, in the order they are waited for. */
export const API_DEPLOYMENTS = ['api', 'api-v2'];

/**
 * Applies the rendered overlay and waits for every API Deployment's rollout. `ok` is false, with
 * kubectl's words in `detail`, when the apply or a rollout failed within `timeoutSeconds`.
 */
export function applyAndRollOut(
  cluster: LiveCluster,
  target: OverlayTarget,
  yaml: string,
  timeoutSeconds = 240,
): { ok: boolean; detail: string; seconds: number } {
  const start = Date.now();
  const applied = cluster.kubectl(['apply', '-f', '-'], yaml);
  if (applied.status !== 0)
    return { ok: false, detail: `kubectl apply: ${applied.out}`, seconds: (Date.now() - start) / 1000 };
  for (const name of API_DEPLOYMENTS) {
    const rollout = cluster.kubectl([
      '-n',
      target.namespace,
      'rollout',
      'status',
      `deployment/${name}`,
      `--timeout=${timeoutSeconds}s`,
    ]);
    if (rollout.status !== 0) {
      const pods = cluster.kubectl(['-n', target.namespace, 'get', 'pods', '-o', 'wide']).out;
      return { ok: false, detail: `rollout of ${name}: ${rollout.out}\n${pods}`, seconds: (Date.now() - start) / 1000 };
    }
  }
  return {
    ok: true,
    detail: `applied, ${API_DEPLOYMENTS.join(' and ')} rolled out`,
    seconds: (Date.now() - start) / 1000,
  };
}

/**
 * GET /readyz through the NodePort on 127.0.0.1 answers 200 (kube-proxy writes its rules a moment after the rollout).
 */
export function nodePortAnswers(nodePort: number, timeoutMs = 60_000): Promise<boolean> {
  return waitUntil(
    async () => {
      try {
        return (
          (await fetch(`http://127.0.0.1:${nodePort}/readyz`, { signal: AbortSignal.timeout(3000) })).status === 200
        );
      } catch {
        return false;
      }
    },
    timeoutMs,
    500,
  );
}

/**
 * Renders and applies the overlay into a fresh `target.namespace` (a leftover one is deleted
 * first), waits for the rollouts and for the NodePort to answer.
 */
export async function deployKindOverlay(
  cluster: LiveCluster,
  target: OverlayTarget,
): Promise<{ ok: boolean; detail: string; seconds: number; objects: RenderedObject[] }> {
  deleteNamespace(cluster, target.namespace);
  const { yaml, objects } = renderKindOverlay(cluster, target);
  const result = applyAndRollOut(cluster, target, yaml);
  cluster.timing(`${target.namespace}: apply → API Deployments rolled out`, result.seconds);
  if (result.ok && !(await nodePortAnswers(target.nodePort)))
    return {
      ...result,
      ok: false,
      detail: `${result.detail}, but GET 127.0.0.1:${target.nodePort}/readyz never answered 200`,
      objects,
    };
  return { ...result, objects };
}

/**
 * One kind overlay per namespace for the whole run: the checks that read it, or leave it serving
 * (a rollout, a deleted pod, a drain), share it; deploying it and deleting it again would cost each
 * about 25 s. The first check to ask deploys it; the run's end deletes it (deleteSharedOverlays).
 */
const sharedOverlays = new Map<string, Promise<Deployed>>();

/** Runs `body` on the shared overlay in `target`, its deployment recorded as the check's first row. */
export async function withSharedOverlay(
  cluster: LiveCluster,
  target: OverlayTarget,
  label: string,
  body: (objects: RenderedObject[]) => Promise<void>,
): Promise<void> {
  const existing = sharedOverlays.get(target.namespace);
  const deploying = existing ?? deployKindOverlay(cluster, target);
  sharedOverlays.set(target.namespace, deploying);
  const deployed = await deploying;
  const how = existing
    ? `shared with the checks before (deployed in ${deployed.seconds.toFixed(1)} s)`
    : `${deployed.detail} in ${deployed.seconds.toFixed(1)} s`;
  if (!cluster.record(`${label}: kind overlay deployed`, deployed.ok, `${how} (namespace ${target.namespace})`)) return;
  await body(deployed.objects);
}

/** The run's end: every shared overlay's namespace retired. */
export function retireSharedOverlays(cluster: LiveCluster): void {
  retireNamespaces(cluster, [...sharedOverlays.keys()]);
  sharedOverlays.clear();
}
