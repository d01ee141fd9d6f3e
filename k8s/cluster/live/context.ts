/**
 * What every live check gets: the running cluster (kubectl with the admin kubeconfig), the API
 * image loaded into its node, and one way to record a result row or a timing. A check is a module
 * in ./checks that exports `check`, listed in all-checks.ts; live/run.ts runs them against a
 * cluster that is up.
 */
import { spawnSync } from 'node:child_process';
import type { ClusterSettings } from '../host-snapshot';

export interface LiveCluster {
  settings: ClusterSettings;
  /** The API image, already in the node's containerd (imagePullPolicy IfNotPresent or Never). */
  image: string;
  kubectl(args: string[], input?: string): { status: number; out: string };
  record(name: string, passed: boolean, detail: string): boolean;
  timing(label: string, seconds: number): void;
}

export interface LiveCheck {
  /** Short name, used by `--check NAME`. */
  name: string;
  /** Checks run in ascending order: the ones that disturb the node (drain) last. */
  order: number;
  run(cluster: LiveCluster): Promise<void>;
}

export interface LiveResults {
  rows: { name: string; passed: boolean }[];
  timings: string[];
}

export function liveCluster(settings: ClusterSettings, image: string, results: LiveResults): LiveCluster {
  return {
    settings,
    image,
    kubectl(args, input) {
      const result = spawnSync(settings.kubectl, ['--kubeconfig', settings.kubeconfig, ...args], {
        encoding: 'utf8',
        input,
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { status: result.status ?? 1, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
    },
    record(name, passed, detail) {
      results.rows.push({ name, passed });
      console.log(`${passed ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
      return passed;
    },
    timing(label, seconds) {
      results.timings.push(`${label} ${seconds.toFixed(1)} s`);
    },
  };
}
