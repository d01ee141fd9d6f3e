/**
 * What the steps of the end-to-end run (e2e.ts) share: the engine and images they use, what the
 * run owns for teardown, and where checks and figures go.
 */
import type { CheckResult } from '../smoke/smoke';
import { offlineBaseImage } from '../base-image/names';
import type { Service } from './processes';
import { run } from './processes';

export const DOCKER = process.env.DOCKER || '/usr/bin/docker';
export const BASE_IMAGE = process.env.NODE_IMAGE || offlineBaseImage('base');
// The runtime stage's base (node and sh only; docker/base-image/build.sh --runtime).
export const RUNTIME_IMAGE = process.env.RUNTIME_IMAGE || offlineBaseImage('runtime');
export const REPOSITORY = '127.0.0.1:5000/mlship-api';

/** Everything this run started, so teardown can stop exactly that. */
export interface Owned {
  services: Service[];
  containers: Set<string>;
  images: Set<string>;
  dir: string;
}

export const figures: Record<string, string | number> = {};
export const results: CheckResult[] = [];

export function record(name: string, passed: boolean, detail: string): void {
  results.push({ name, passed, detail });
  console.log(`${passed ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
}

export function docker(args: string[], timeoutMs = 120_000): string {
  return run(DOCKER, args, { timeoutMs }).stdout.trim();
}
