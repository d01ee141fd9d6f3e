/**
 * What the steps of the image contract (image-contract.ts) share: the engine and base images, the
 * containers and images the run owns for teardown, where checks go, and how an image is built and
 * started.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { offlineBaseImage } from '../base-image/names';
import { buildImage } from '../image';
import { ROOT } from '../../scripts/support/repo-root';
import type { CheckResult } from '../smoke/smoke';
import { sendRequest } from '../smoke/smoke';
import { run } from './processes';
import { waitFor } from '../../scripts/support/poll-until';

export const DOCKER = process.env.DOCKER || '/usr/bin/docker';
export const BASE_IMAGE = process.env.NODE_IMAGE || offlineBaseImage('base');
export const RUNTIME_IMAGE = process.env.RUNTIME_IMAGE || offlineBaseImage('runtime');
export const TOKEN = 'image-contract-monitoring-token-0123456789';
export const results: CheckResult[] = [];
export const owned = { containers: new Set<string>(), images: new Set<string>() };

export function record(name: string, passed: boolean, detail: string): void {
  results.push({ name, passed, detail });
  console.log(`${passed ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
}

export function docker(args: string[], timeoutMs = 120_000): string {
  return run(DOCKER, args, { timeoutMs }).stdout.trim();
}

export function node(script: string, args: string[], okCodes = [0]): { stdout: string; stderr: string } {
  return run('node', [join(ROOT, script), ...args], { cwd: ROOT, timeoutMs: 300_000, okCodes });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export function build(tag: string, modelDir: string, provenance?: string): ReturnType<typeof buildImage> {
  owned.images.add(tag);
  return buildImage(
    {
      tag,
      modelDir,
      baseImage: BASE_IMAGE,
      runtimeImage: RUNTIME_IMAGE,
      extraArgs: ['--progress=plain'],
      docker: DOCKER,
    },
    provenance,
  );
}

interface Running {
  id: string;
  url: string;
}

/** Starts `image` on a free loopback port with `env`; resolves once /readyz answers 200. */
export async function start(image: string, env: Record<string, string>, mounts: string[] = []): Promise<Running> {
  const port = await freePort();
  const args = ['run', '-d', '--network', 'host', '--read-only', ...mounts.flatMap((m) => ['-v', m])];
  for (const [key, value] of Object.entries({ HOST: '127.0.0.1', PORT: String(port), ...env }))
    args.push('-e', `${key}=${value}`);
  const id = docker([...args, image]);
  owned.containers.add(id);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${image} ready on ${port}`,
    async () => (await sendRequest(url, { path: '/readyz', timeoutMs: 1000 })).status === 200,
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  return { id, url };
}

export function remove(id: string): void {
  docker(['rm', '-f', id]);
  owned.containers.delete(id);
}

export interface Served {
  models: Array<{ name: string; version: string; sha256?: string }>;
}
