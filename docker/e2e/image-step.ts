/**
 * Step 1 of the end-to-end run (e2e.ts): the image built twice (the second time all from the
 * cache), inspected, pushed the release's way, removed and pulled back by digest.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProvenance, PROVENANCE_LABEL, registryProvenance } from '../../model/src/provenance';
import { buildImage as buildShared, DEFAULT_REGISTRY, executedRunSteps } from '../image';
import { pushAsReleased } from './release-push';
import { run } from './processes';
import { startRegistry } from './services';
import { ROOT } from '../../scripts/support/repo-root';
import type { Owned } from './e2e-run';
import { BASE_IMAGE, DOCKER, docker, figures, record, REPOSITORY, RUNTIME_IMAGE } from './e2e-run';

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function buildImage(tag: string, log: string): number {
  const result = buildShared({
    tag,
    baseImage: BASE_IMAGE,
    runtimeImage: RUNTIME_IMAGE,
    extraArgs: ['--progress=plain'],
    docker: DOCKER,
  });
  writeFileSync(log, result.output);
  if (result.status !== 0)
    throw new Error(`docker build exited ${result.status}:\n${result.output.split('\n').slice(-25).join('\n')}`);
  return result.seconds;
}

/** Step 1: build (first, then again), check the trained artifacts, push, remove, pull by digest. */
export async function stepImage(owned: Owned): Promise<string> {
  const tag = `${REPOSITORY}:e2e-${Date.now()}`;
  // The image ships the gated local registry; a fresh clone has none yet.
  run('node', [join(ROOT, 'dist/model/src/train.js'), '--if-missing', '--promote'], { cwd: ROOT, timeoutMs: 300_000 });
  await startRegistry(join(owned.dir, 'registry'), owned.services);
  const cold = process.env.E2E_COLD === '1';
  if (cold) docker(['builder', 'prune', '--all', '--force'], 300_000);
  owned.images.add(tag);
  const first = buildImage(tag, join(owned.dir, 'build-cold.log'));
  const warm = buildImage(tag, join(owned.dir, 'build-warm.log'));
  figures[cold ? 'build, cold (s)' : 'build, first (cache kept) (s)'] = first.toFixed(1);
  figures['build, warm (s)'] = warm.toFixed(1);
  // Warm means every step came from the cache: no RUN step executed again.
  const warmLog = readFileSync(join(owned.dir, 'build-warm.log'), 'utf8');
  const reran = executedRunSteps(warmLog);
  record(
    'when the image is built again unchanged, then every step comes from the cache',
    reran.length === 0,
    `first ${first.toFixed(1)} s, warm ${warm.toFixed(1)} s${reran.length ? `; re-ran ${reran.join(' | ')}` : ''}`,
  );

  recordSize(tag);
  checkConfig(tag);
  checkArtifacts(tag);

  // Pushed the release's way: the saved archive of the tested image, its ID and label checked.
  const digest = pushAsReleased(tag, owned.dir, record);
  docker(['image', 'rm', tag]);
  owned.images.delete(tag);
  const gone = (() => {
    try {
      docker(['image', 'inspect', tag]);
      return false;
    } catch {
      return true;
    }
  })();
  const ref = `${REPOSITORY}@${digest}`;
  owned.images.add(ref);
  docker(['pull', ref], 300_000);
  const pulled = docker(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref]);
  record(
    'when the image is pushed, removed and pulled by digest, then the same digest comes back',
    gone && pulled === ref,
    ref,
  );
  return ref;
}

/** The image's size and layers, and how much of each it adds to the runtime base. */
function recordSize(tag: string): void {
  const size = Number(docker(['image', 'inspect', '--format', '{{.Size}}', tag]));
  const baseSize = Number(docker(['image', 'inspect', '--format', '{{.Size}}', RUNTIME_IMAGE]));
  const layers = (JSON.parse(docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', tag])) as string[])
    .length;
  const baseLayers = (
    JSON.parse(docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', RUNTIME_IMAGE])) as string[]
  ).length;
  figures['image size'] = mib(size);
  figures['layers above base'] = `${layers - baseLayers} layers, ${mib(size - baseSize)}`;
}

function checkConfig(tag: string): void {
  const config = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config}}', tag])) as {
    User: string;
    Healthcheck?: { Test: string[] };
    Labels: Record<string, string>;
    ExposedPorts: Record<string, unknown>;
  };
  record(
    'when the image is inspected, then it runs as a numeric non-root user with a Node healthcheck and OCI labels',
    /^[1-9]\d*(:\d+)?$/.test(config.User) &&
      config.Healthcheck?.Test[1] === 'node' &&
      Boolean(config.Labels['org.opencontainers.image.revision']) &&
      '8000/tcp' in config.ExposedPorts,
    `user ${config.User}, healthcheck ${config.Healthcheck?.Test.slice(0, 2).join(' ')}, version ` +
      `${config.Labels['org.opencontainers.image.version']}`,
  );
}

/** The image ships the gated local registry: its label is that registry's provenance. */
function checkArtifacts(tag: string): void {
  const label = docker(['image', 'inspect', '--format', `{{index .Config.Labels "${PROVENANCE_LABEL}"}}`, tag]);
  const expected = formatProvenance(registryProvenance(DEFAULT_REGISTRY));
  record(
    "when the image is built, then it records the local registry's provenance in its label",
    label === expected,
    label,
  );
}
