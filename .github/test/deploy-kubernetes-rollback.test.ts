import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployed } from './support/deploy-kubernetes-sandbox';
import {
  APPLIED,
  DIGEST,
  PREVIOUS,
  ROLLBACK_CALLS,
  UNDONE,
  useDeploySandbox,
} from './support/deploy-kubernetes-sandbox';

/**
 * deploy-kubernetes.sh cancelled as GitHub's runner cancels a step (signals to the step's shell
 * alone, which the step execs into the script), and its --rollback, which the job's next step runs
 * after a failure or a cancellation. The cluster is the stand-ins' (support/deploy-kubernetes-sandbox.ts);
 * k8s/cluster/deploy/cancel.ts does the same on a real one.
 */
const { deploy, dir } = useDeploySandbox();

describe('deploy-kubernetes.sh, cancelled or rolling back', () => {
  /** Starts a deploy whose rollout of api hangs, and signals its shell alone as the runner does once it waits there. */
  async function cancelled(signals: NodeJS.Signals[]): Promise<Deployed> {
    let pid = 0;
    const run = deploy(DIGEST, { HANG_ROLLOUT: '1' }, (started) => (pid = started));
    const log = join(dir(), 'calls.log');
    const deadline = Date.now() + 10_000;
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('rollout status deployment/api ')))
      if (Date.now() > deadline) throw new Error('the deploy never reached the rollout');
      else await new Promise((resolve) => setTimeout(resolve, 20));
    for (const signal of signals) {
      process.kill(pid, signal);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return run;
  }

  test.each([[['SIGINT']], [['SIGTERM']], [['SIGINT', 'SIGTERM']]] as NodeJS.Signals[][][])(
    'when the run is cancelled (%p to the shell alone) during the rollout, then it rolls both back at once and fails',
    async (signals) => {
      const { code, stderr, calls, outputs } = await cancelled(signals);
      expect(code).toBe(1);
      expect(outputs).toBe(`previous=${PREVIOUS}\n`);
      expect(stderr).toContain('deploy-kubernetes: cancelled; rolling back');
      expect(stderr).toContain('deploy-kubernetes: rolled back: the previous ReplicaSets serve again');
      // The rollout it was waiting on, then the rollback at once.
      expect(calls.slice(calls.indexOf('kubectl -n mlship rollout status deployment/api --timeout=300s'))).toEqual([
        'kubectl -n mlship rollout status deployment/api --timeout=300s',
        ...ROLLBACK_CALLS,
      ]);
    },
    20_000,
  );

  test.each([
    ['the runner cut its own rollback short', { BEFORE: APPLIED }, ['--to-revision=3', '--to-revision=2']],
    ['its own rollback ran to its end', { BEFORE: UNDONE }, []],
  ])(
    'when --rollback runs after %s, then it brings back only what is not back yet and waits for both',
    async (_when, env, undone) => {
      const { code, stderr, calls } = await deploy(['--rollback', PREVIOUS], env);
      expect(code).toBe(0);
      expect(calls).toEqual([
        'kubectl -n mlship get deployments,replicasets -o json',
        ...undone.map((to, i) => `kubectl -n mlship rollout undo deployment/${['api', 'api-v2'][i]} ${to}`),
        'kubectl -n mlship rollout status deployment/api --timeout=300s',
        'kubectl -n mlship rollout status deployment/api-v2 --timeout=300s',
      ]);
      expect(stderr).toBe(`deploy-kubernetes: the previous ReplicaSets serve (${PREVIOUS})\n`);
    },
  );

  test(
    'when the first deploy to a namespace fails, then it writes no previous and says there is nothing to ' +
      'roll back to',
    async () => {
      const empty = JSON.stringify({ kind: 'List', items: [] });
      const { code, stderr, calls, outputs } = await deploy(DIGEST, { LINEAGE_EXIT: '1', BEFORE: empty });
      expect(code).toBe(1);
      expect(outputs).toBe('previous=\n');
      expect(stderr).toContain(
        "deploy-kubernetes: lineage check failed: the API does not serve the image's models; this was the " +
          "namespace's first deploy: nothing to roll back to (see cluster-state.txt)",
      );
      expect(calls.filter((call) => call.includes('rollout undo'))).toEqual([]);
      expect(calls.at(-1)).toBe('kubectl -n mlship get deploy,rs,pods,events');
    },
  );

  test('when --rollback names a ReplicaSet that is gone, then it says so and fails', async () => {
    const { code, stderr } = await deploy(['--rollback', 'api=0ld0ld,api-v2=bbb222'], { BEFORE: APPLIED });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'deploy-kubernetes: deployment/api no longer has the ReplicaSet 0ld0ld: roll it back by hand',
    );
    expect(stderr).toContain('deploy-kubernetes: the rollback to api=0ld0ld,api-v2=bbb222 did not finish');
  });

  test('when --rollback is given something else than api=HASH[,api-v2=HASH], then it refuses in one line', async () => {
    const { code, stderr, calls } = await deploy(['--rollback', 'api=$(reboot)']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('--rollback takes api=HASH[,api-v2=HASH], got "api=$(reboot)"');
    expect(calls).toEqual([]);
  });
});
