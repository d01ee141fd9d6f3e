/**
 * Renders one of the project's overlays with components and a deployer's own additions (patches,
 * generators) for a live check, through a throwaway kustomization that references the
 * repository's own directories: the objects are what a deployer's `kubectl apply -k` would send,
 * moved to the check's namespace, running the image loaded into the node and, when asked, on the
 * check's own NodePort. (kind-overlay.ts renders the kind overlay alone, labelled for a drain.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { LiveCluster } from './context';
import type { RenderedObject } from './kind-overlay';
import { imageEntry } from './kind-overlay';
import { manifestsDir } from './manifests';

export type { RenderedObject };

export interface RenderRequest {
  /** Under k8s/, e.g. `overlays/kind`. */
  overlay: string;
  /** Under k8s/, e.g. `components/retraining`. */
  components?: string[];
  namespace: string;
  /** The Service `api`'s NodePort, replacing the overlay's (30080 belongs to another check). */
  nodePort?: number;
  /** More kustomization fields (patches, generators), as a deployer's own overlay adds them. */
  extra?: Record<string, unknown>;
  /** Files the extra fields name, written beside the kustomization. */
  files?: Record<string, string>;
}

/** The kustomization the request stands for, its paths relative to `dir` (kustomize refuses absolute ones). */
export function kustomization(
  dir: string,
  cluster: Pick<LiveCluster, 'image'>,
  request: RenderRequest,
): Record<string, unknown> {
  const from = (path: string): string => relative(dir, join(manifestsDir(), path));
  const patches =
    request.nodePort === undefined
      ? []
      : [
          {
            target: { kind: 'Service', name: 'api' },
            patch: stringify([{ op: 'replace', path: '/spec/ports/0/nodePort', value: request.nodePort }]),
          },
        ];
  const extraPatches = (request.extra?.patches as unknown[] | undefined) ?? [];
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...request.extra,
    namespace: request.namespace,
    resources: [from(request.overlay)],
    ...(request.components?.length ? { components: request.components.map(from) } : {}),
    images: [imageEntry(cluster.image)],
    patches: [...patches, ...extraPatches],
  };
}

/** `kubectl kustomize` of the request; throws with kubectl's message when it does not render. */
export function renderOverlay(
  cluster: Pick<LiveCluster, 'image' | 'kubectl'>,
  request: RenderRequest,
): RenderedObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-live-render-'));
  try {
    writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization(dir, cluster, request)));
    for (const [name, content] of Object.entries(request.files ?? {})) writeFileSync(join(dir, name), content);
    const result = cluster.kubectl(['kustomize', dir]);
    if (result.status !== 0)
      throw new Error(`kubectl kustomize ${request.overlay} ${request.components?.join(' ') ?? ''}: ${result.out}`);
    return parseAllDocuments(result.out).map((doc) => doc.toJS() as RenderedObject);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `kubectl apply` of objects as one List; throws with kubectl's message when refused. */
export function applyObjects(cluster: Pick<LiveCluster, 'kubectl'>, objects: RenderedObject[]): string {
  const result = cluster.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
  if (result.status !== 0) throw new Error(`kubectl apply: ${result.out}`);
  return result.out;
}
