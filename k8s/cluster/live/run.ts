/**
 * The live checks against a cluster that is already up (`npm run cluster:up -- --load IMAGE`):
 *
 *   npx tsx k8s/cluster/live/run.ts [--image mlship-api:local] [--check NAME]...
 *
 * Runs every check of all-checks.ts (or the named ones) in their order, one ok/FAIL row per result,
 * then the timings and "cluster-live: N passed, N failed". Exit 1 when a row failed.
 */
import { parseArgs } from 'node:util';
import { clusterSettings } from '../host-snapshot';
import { ALL_CHECKS } from './all-checks';
import type { LiveCheck, LiveResults } from './context';
import { liveCluster } from './context';
import { retireSharedOverlays } from './kind-overlay';
import { awaitRetiredNamespaces } from './namespaces';

/** The checks named in `only` (all of them when it is empty), in their order. */
export function loadChecks(only: string[] = []): LiveCheck[] {
  const unknown = only.filter((name) => !ALL_CHECKS.some((check) => check.name === name));
  if (unknown.length > 0)
    throw new Error(
      `no live check named ${unknown.join(', ')} (there are: ${ALL_CHECKS.map((check) => check.name).join(', ')})`,
    );
  return ALL_CHECKS.filter((check) => only.length === 0 || only.includes(check.name));
}

/** What run.ts prints between the checks and the wait for their namespaces to go. */
export const CHECKS_DONE = '--- checks done: their namespaces are being deleted';

/**
 * Runs the checks, then retires their namespaces and, unless `awaitCleanup` is false (the cluster's
 * `down` follows at once), waits until they are gone.
 */
export async function runChecks(
  image: string,
  only: string[],
  results: LiveResults,
  { awaitCleanup = true } = {},
): Promise<void> {
  const cluster = liveCluster(clusterSettings(), image, results);
  for (const check of loadChecks(only)) {
    const start = Date.now();
    console.log(`--- ${check.name}`);
    try {
      await check.run(cluster);
    } catch (error) {
      cluster.record(check.name, false, (error as Error).stack ?? String(error));
    }
    cluster.timing(check.name, (Date.now() - start) / 1000);
  }
  console.log(CHECKS_DONE);
  retireSharedOverlays(cluster);
  if (!awaitCleanup) return;
  const retired = await awaitRetiredNamespaces(cluster);
  cluster.timing("the checks' namespaces gone", retired.seconds);
  cluster.record('live checks leave no namespace behind', retired.ok, retired.detail);
}

export function printSummary(label: string, results: LiveResults): number {
  if (results.timings.length > 0) console.log(`timings: ${results.timings.join('; ')}`);
  const failed = results.rows.filter((row) => !row.passed).length;
  console.log(`${label}: ${results.rows.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      image: { type: 'string', default: process.env.MLSHIP_CHECK_IMAGE || 'mlship-api:local' },
      check: { type: 'string', multiple: true, default: [] },
    },
  });
  const results: LiveResults = { rows: [], timings: [] };
  runChecks(values.image, values.check, results)
    .catch(
      (error: Error) =>
        results.rows.push({ name: error.message, passed: false }) && console.log(`FAIL ${error.message}`),
    )
    .finally(() => {
      process.exitCode = printSummary('cluster-live', results);
    });
}
