/**
 * What the checks of cluster-check.ts share: the image they deploy, the rows and timings they
 * record, and kubectl on the cluster's kubeconfig.
 */
import { spawnSync } from 'node:child_process';
import type { ClusterSettings } from './host-snapshot';

export const IMAGE = process.env.MLSHIP_CHECK_IMAGE || 'mlship-api:local';
export const results: { name: string; passed: boolean }[] = [];
export const timings: string[] = [];

export function record(name: string, passed: boolean, detail: string): boolean {
  results.push({ name, passed });
  console.log(`${passed ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  return passed;
}

export function kubectl(settings: ClusterSettings, args: string[], input?: string): { status: number; out: string } {
  const result = spawnSync(settings.kubectl, ['--kubeconfig', settings.kubeconfig, ...args], {
    encoding: 'utf8',
    input,
    timeout: 180_000,
  });
  return { status: result.status ?? 1, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** kubectl's JSON output, or `fallback` when there is none. */
export function json<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
