/**
 * How mlship builds its image, in one place for `npm run image:build`, the e2e harness and the
 * lineage suite: BuildKit, host networking, the CA bundle as a secret, OCI build args, and the
 * gated registry with its provenance.
 *
 * The image ships the registry at `model/artifacts` of its build context. Built from the repository
 * root, that is the local registry; `modelDir` builds from any other registry by staging a context
 * (the .dockerignore allow-list, a few hundred KB) with that registry in the documented place.
 */
import type { SpawnSyncReturns } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { formatProvenance, registryProvenance } from '../model/src/provenance';
import { ROOT } from '../scripts/support/repo-root';

export const DEFAULT_REGISTRY = join(ROOT, 'model/artifacts');

/** What one image build takes. */
export interface ImageBuild {
  tag: string;
  /** The gated registry to ship (default: the repository's model/artifacts). */
  modelDir?: string;
  /** NODE_IMAGE build arg: the build stages' base, with npm (default: the Dockerfile's public base). */
  baseImage?: string;
  /**
   * RUNTIME_IMAGE build arg: the runtime stage's base, node and sh only. Default: `baseImage` when
   * that is given (a base with npm runs the bundle too, and an offline build cannot pull the
   * public runtime), else the Dockerfile's public one.
   */
  runtimeImage?: string;
  /** Extra `docker build` arguments (e.g. `--progress=plain`). */
  extraArgs?: string[];
  docker?: string;
  timeoutMs?: number;
}

/** What a finished build printed and how long it took; `status` is docker's exit code. */
export interface ImageBuildResult {
  status: number;
  output: string;
  seconds: number;
  provenance: string;
}

// What the image is built from: the same list .dockerignore allows, so a staged context and the
// repository root give the same build.
const CONTEXT_ENTRIES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  '.dockerignore',
  'model',
  'api',
  'scripts',
  'docker/Dockerfile',
];

function gitRevision(): string {
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

/** A temporary build context: the repository's build inputs with `modelDir` as model/artifacts. */
function stageContext(modelDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-context-'));
  const skipped = (path: string): boolean => {
    const rel = relative(ROOT, path).split(sep);
    return rel.includes('node_modules') || rel.includes('test') || rel.join('/').startsWith('model/artifacts');
  };
  for (const entry of CONTEXT_ENTRIES) {
    if (existsSync(join(ROOT, entry)))
      cpSync(join(ROOT, entry), join(dir, entry), { recursive: true, filter: (src) => !skipped(src) });
  }
  cpSync(modelDir, join(dir, 'model/artifacts'), { recursive: true });
  return dir;
}

/**
 * Builds the image from a gated registry. The registry is verified here first (its provenance is
 * the build arg the Dockerfile checks it against again), so a broken registry fails before the
 * engine starts; a registry that changes in between fails inside the build.
 */
export function buildImage(
  build: ImageBuild,
  provenance = formatProvenance(registryProvenance(build.modelDir ?? DEFAULT_REGISTRY)),
): ImageBuildResult {
  const modelDir = resolve(build.modelDir ?? DEFAULT_REGISTRY);
  const context = modelDir === resolve(DEFAULT_REGISTRY) ? ROOT : stageContext(modelDir);
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const args = ['build', '--network', 'host', '-f', join(context, 'docker/Dockerfile'), '-t', build.tag];
  args.push('--build-arg', `MODEL_PROVENANCE=${provenance}`);
  args.push(
    '--build-arg',
    `VERSION=${version}`,
    '--build-arg',
    `REVISION=${gitRevision()}`,
    '--build-arg',
    `CREATED=${new Date().toISOString()}`,
  );
  if (build.baseImage) args.push('--build-arg', `NODE_IMAGE=${build.baseImage}`);
  const runtimeImage = build.runtimeImage ?? build.baseImage;
  if (runtimeImage) args.push('--build-arg', `RUNTIME_IMAGE=${runtimeImage}`);
  // The machine's extra CA bundle reaches npm as a BuildKit secret: mounted for npm ci, never in a layer.
  if (process.env.NODE_EXTRA_CA_CERTS) args.push('--secret', `id=npm_ca,src=${process.env.NODE_EXTRA_CA_CERTS}`);
  args.push(...(build.extraArgs ?? []), context);
  const started = process.hrtime.bigint();
  let result: SpawnSyncReturns<string>;
  try {
    result = spawnSync(build.docker ?? process.env.DOCKER ?? '/usr/bin/docker', args, {
      cwd: ROOT,
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
      encoding: 'utf8',
      timeout: build.timeoutMs ?? 1_200_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    if (context !== ROOT) rmSync(context, { recursive: true, force: true });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { status: result.status ?? 1, output, seconds, provenance };
}

/** A RUN step of a build, from BuildKit's `--progress=plain` log. */
export interface RunStep {
  line: string;
  cached: boolean;
}

/** Every RUN step a BuildKit `--progress=plain` log shows, executed or served from the cache. */
export function runSteps(log: string): RunStep[] {
  const lines = log.split('\n');
  const cached = new Set(lines.filter((l) => /^#\d+ CACHED$/.test(l)).map((l) => l.split(' ')[0]));
  const steps = new Map<string, RunStep>();
  for (const line of lines) {
    const id = line.split(' ')[0] as string;
    if (/^#\d+ \[[^\]]+\] RUN /.test(line) && !steps.has(id)) steps.set(id, { line, cached: cached.has(id) });
  }
  return [...steps.values()];
}

/** The RUN steps a build executed (not served from the cache). */
export function executedRunSteps(log: string): string[] {
  return runSteps(log)
    .filter((s) => !s.cached)
    .map((s) => s.line);
}
