/** What the deploy rehearsal reads back from the cluster, and how it starts over between jobs. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { LiveCluster } from '../live/context';
import { runShown } from '../shown-process';
import type { TwinRun } from './twin';
import { step } from './twin';

/** kubectl's output, or '' when it failed. */
export function clusterCommand(cluster: LiveCluster, args: string[]): string {
  const result = cluster.kubectl(args);
  return result.status === 0 ? result.out : '';
}

/** The image of every running API pod (api and api-v2) in the namespace, those shutting down left out. */
export function podImages(cluster: LiveCluster, namespace: string): string[] {
  const text = clusterCommand(cluster, [
    '-n',
    namespace,
    'get',
    'pods',
    '-l',
    'app.kubernetes.io/name=mlship',
    '--field-selector',
    'status.phase=Running',
    '-o',
    'jsonpath={range .items[*]}{.metadata.deletionTimestamp}{" "}{.spec.containers[0].image}{"\\n"}{end}',
  ]);
  return text
    .split('\n')
    .filter((line) => line.startsWith(' '))
    .map((line) => line.trim());
}

/** Removes an image reference from the node's containerd, so that the next pod must pull it. */
export function removeFromNode(cluster: LiveCluster, reference: string): void {
  const socket = join(cluster.settings.run, 'containerd', 'containerd.sock');
  spawnSync('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'rm', reference], { stdio: 'ignore' });
}

/** Each named step passed (not skipped, not a failure `continue-on-error` let through). */
export function deployStepsPassed(run: TwinRun, titles: string[]): { ok: boolean; detail: string } {
  const verdicts = titles.map((title) => {
    const result = step(run, title);
    return {
      title,
      ok: result?.verdict === 'passed' && !result.soft,
      text:
        `${title.replace(/ \(.*$/, '')}: ` +
        `${result ? `${result.verdict} in ${result.seconds.toFixed(1)} s` : 'not run'}`,
    };
  });
  return { ok: verdicts.every((verdict) => verdict.ok), detail: verdicts.map((verdict) => verdict.text).join('; ') };
}

/** up.sh or down.sh, its output indented; true when it exited 0. */
export async function clusterScript(script: string, args: string[]): Promise<boolean> {
  return (await runShown('bash', [join(__dirname, '..', script), ...args])).status === 0;
}
