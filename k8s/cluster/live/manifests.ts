/**
 * Where the live checks read the project's manifests (base, overlays, components): this checkout's
 * k8s/ directory, or MLSHIP_LIVE_MANIFESTS. deploy-check runs deploy.yml's jobs in this checkout
 * while its lanes of checks run, and a job edits its overlay in place (`kustomize edit set image`);
 * a lane reads a copy taken before (snapshotManifests), as a deployer's own clone would be.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The k8s/ directory of this checkout: its scripts always come from here. */
export const K8S_DIR = resolve(__dirname, '..', '..');

/** The directory holding base/, overlays/, components/ and kind-cluster.yaml for this process's checks. */
export function manifestsDir(): string {
  return process.env.MLSHIP_LIVE_MANIFESTS || K8S_DIR;
}

/** Copies base/, overlays/, components/ and kind-cluster.yaml into a new folder of `parent`; returns it. */
export function snapshotManifests(parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'mlship-manifests-'));
  for (const part of ['base', 'overlays', 'components', 'kind-cluster.yaml'])
    cpSync(join(K8S_DIR, part), join(dir, part), { recursive: true });
  return dir;
}
