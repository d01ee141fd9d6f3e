/**
 * Live checks in a process of their own (`k8s/cluster/live/run.ts --check …`), so that they run
 * beside the deploy rehearsal instead of after it: the cluster spends most of a check waiting (a
 * Job, a controller's sync, a namespace going), and two cores can wait on several at once. Their
 * output is shown as it comes, each line marked with the lane; each of their rows counts in the
 * caller's results, so the closing line covers them. A lane says when its checks are done, before
 * it waits for their namespaces to go, so the next step need not wait for that too.
 */
import { spawn } from 'node:child_process';
import type { LiveResults } from '../live/context';
import { ROOT } from '../../../scripts/support/repo-root';
import { CHECKS_DONE, loadChecks } from '../live/run';

/** A lane: `checksDone` once its checks have run (their namespaces still going), `ended` when its process has. */
export interface Lane {
  checksDone: Promise<void>;
  ended: Promise<void>;
}

/**
 * Runs the named checks in a child process. `manifests` is a copy of k8s/'s manifests
 * (snapshotManifests) for the lane to read: the deploy jobs beside it edit this checkout's overlays.
 */
export function startLiveChecks(
  image: string,
  names: string[],
  lane: string,
  results: LiveResults,
  manifests: string,
): Lane {
  loadChecks(names);
  const start = Date.now();
  let checksDone = (): void => undefined;
  const done = new Promise<void>((resolve) => (checksDone = resolve));
  const ended = new Promise<void>((resolve) => {
    const env = { ...process.env, MLSHIP_LIVE_MANIFESTS: manifests };
    const child = spawn(
      'npx',
      ['tsx', 'k8s/cluster/live/run.ts', '--image', image, ...names.flatMap((name) => ['--check', name])],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let pending = '';
    let closed = false;
    const show = (chunk: Buffer): void => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        process.stdout.write(`  [${lane}] ${line}\n`);
        const row = /^(ok {2}|FAIL) ([^:]+):/.exec(line);
        if (row) results.rows.push({ name: `${lane}: ${row[2]}`, passed: row[1] === 'ok  ' });
        if (line === CHECKS_DONE) checksDone();
        if (/^cluster-live: \d+ passed, \d+ failed$/.test(line)) closed = true;
      }
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    child.on('close', (status) => {
      if (pending) show(Buffer.from('\n'));
      // A lane that died before its closing line must fail the run, whatever rows it printed.
      if (!closed || status !== 0) {
        const failedRows = results.rows.filter((row) => row.name.startsWith(`${lane}: `) && !row.passed).length;
        if (!closed || failedRows === 0) results.rows.push({ name: `${lane}: ${names.join(', ')}`, passed: false });
        console.log(
          `FAIL ${lane}: ${names.join(', ')} ended with status ${status}${closed ? '' : ' before their closing line'}`,
        );
      }
      results.timings.push(`${lane} (${names.join(', ')}) ${((Date.now() - start) / 1000).toFixed(1)} s`);
      checksDone();
      resolve();
    });
  });
  return { checksDone: done, ended };
}
