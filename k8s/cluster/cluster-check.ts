/**
 * The real cluster, checked end to end (root, a few minutes; not part of `npm test`):
 *
 *   sudo npx tsx k8s/cluster/cluster-check.ts
 *
 * 1. snapshots the host (host-snapshot.ts), 2. `up.sh --load IMAGE` (the API image from the local
 * Docker engine, built with `npm run image:build` when missing), 3. while up: the node is Ready
 * at the pinned version (versions.env) on 198.18.1.1, a Deployment of the API rolls out under the restricted security
 * context, answers GET /readyz through a NodePort on the node IP and on 127.0.0.1 (never eth0's), its pod has no
 * default route, a client pod reaches it through its ClusterIP until a deny-all NetworkPolicy (kube-router)
 * blocks it, and every address in the cluster's iptables rules is inside 198.18.0.0/15,
 * 4. `down.sh`, 5. snapshots again: every kind of host setting must equal the first snapshot and
 * no process of the run may be left, 6. a second `up` builds nothing; with the API running, the
 * kubelet, apiserver and containerd are killed (SIGKILL) and `down` must still restore the host,
 * 7. one more `down.sh` has nothing to do.
 * Prints one ok/FAIL row per check, the timings, and closes with "cluster: N passed, N failed".
 *
 * Env: MLSHIP_CHECK_IMAGE (mlship-api:local), DOCKER (/usr/bin/docker), NODE_IMAGE and
 * RUNTIME_IMAGE for a build (the offline bases), MLSHIP_CLUSTER_RUN / MLSHIP_CLUSTER_CACHE (up.sh's).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INode } from 'kubernetes-models/v1/Node';
import type { ClusterSettings, Snapshot } from './host-snapshot';
import { clusterProcesses, clusterSettings, compareSnapshots, describeDifference, takeSnapshot } from './host-snapshot';
import { apiObjects, NAMESPACE } from './check-objects';
import { inRange } from './check-network';
import { ensureApiImage } from './api-image';
import { checkApi } from './check-api';
import { IMAGE, json, kubectl, record, results, timings } from './check-run';
import type { Shown } from './shown-process';
import { runShown } from './shown-process';
import { ROOT } from '../../scripts/support/repo-root';

/** Runs a command from the repository, its output shown indented as it comes. */
function run(command: string, args: string[]): Promise<Shown> {
  return runShown(command, args, { cwd: ROOT });
}

function ensureImage(): boolean {
  const { ok, detail } = ensureApiImage(IMAGE);
  return record('image', ok, detail);
}

/** The figure a line of up.sh/down.sh prints, e.g. "Ready 6.2 s after". */
function figure(output: string, pattern: RegExp): string {
  return pattern.exec(output)?.[1] ?? '?';
}

function checkNode(settings: ClusterSettings): void {
  const node = json<Partial<INode>>(kubectl(settings, ['get', 'node', settings.nodeName, '-o', 'json']).out, {});
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const version = node.status?.nodeInfo?.kubeletVersion;
  record(
    'node Ready',
    ready === 'True' && ip === settings.nodeIp && version === settings.kubernetesVersion,
    `Ready=${ready}, InternalIP ${ip}, kubelet ${version}`,
  );
}

function checkIptablesAddresses(): void {
  const rules = ['iptables-save']
    .flatMap((tool) => spawnSync(tool, [], { encoding: 'utf8' }).stdout.split('\n'))
    .filter((line) => /KUBE-|CNI-/.test(line));
  const outside = [...new Set(rules.flatMap((line) => line.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []))].filter(
    (ip) => !inRange(ip, '198.18.0.0/15') && !inRange(ip, '127.0.0.0/8') && ip !== '0.0.0.0',
  );
  record(
    'iptables addresses',
    rules.length > 0 && outside.length === 0,
    `${rules.length} cluster rules; addresses outside 198.18.0.0/15 and loopback: ${outside.join(', ') || 'none'}`,
  );
}

/** Every TCP socket the cluster's daemons listen on is on loopback or the node IP, never eth0's. */
function checkListeners(settings: ClusterSettings, pids: Record<string, string>): void {
  const ours = new Set(Object.values(pids));
  const listeners = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' })
    .stdout.split('\n')
    .flatMap((line) => {
      const pid = /pid=(\d+)/.exec(line)?.[1];
      const local = line.trim().split(/\s+/)[3];
      return pid && local && ours.has(pid) ? [`${local} (${/\(\("([^"]+)"/.exec(line)?.[1]})`] : [];
    });
  const exposed = listeners.filter(
    (local) => !local.startsWith('127.0.0.1:') && !local.startsWith(`${settings.nodeIp}:`),
  );
  record(
    'listeners',
    listeners.length > 0 && exposed.length === 0,
    `${listeners.length} sockets; outside 127.0.0.1 and ${settings.nodeIp}: ${exposed.join(', ') || 'none'}`,
  );
}

function pidFileProcesses(settings: ClusterSettings): Record<string, string> {
  const dir = join(settings.run, 'pids');
  return Object.fromEntries(
    readdirSync(dir).map((file) => [file.replace(/\.pid$/, ''), readFileSync(join(dir, file), 'utf8').trim()]),
  );
}

function compareHost(before: Snapshot, during: Snapshot, after: Snapshot): void {
  const byUp = new Map(compareSnapshots(before, during).map((difference) => [difference.kind, difference]));
  for (const difference of compareSnapshots(before, after)) {
    const clean = difference.added.length === 0 && difference.removed.length === 0;
    const changed = byUp.get(difference.kind);
    const detail = clean
      ? `as before up (up had changed: ${changed ? describeDifference(changed, 2) : 'nothing'})`
      : describeDifference(difference);
    record(`host ${difference.kind}`, clean, detail);
  }
}

/** up.sh with the image loaded; its figures go to the timings, prefixed with `label`. */
async function up(label: string): Promise<{ ok: boolean; output: string }> {
  const result = await run('bash', ['k8s/cluster/up.sh', '--load', IMAGE]);
  const build = /reused the cached binaries/.test(result.output)
    ? 'cache reused'
    : `build ${figure(result.output, /build done in ([\d.]+) s/)} s`;
  timings.push(
    `${label}up ${result.seconds.toFixed(1)} s (${build}), start → node Ready ` +
      `${figure(result.output, /Ready ([\d.]+) s after the start/)} s, image import ` +
      `${figure(result.output, /loaded \S+ \([^)]*\) in ([\d.]+) s/)} s`,
  );
  return {
    ok: record(`${label}up`, result.status === 0, `exit ${result.status} in ${result.seconds.toFixed(1)} s, ${build}`),
    output: result.output,
  };
}

async function down(label: string): Promise<void> {
  const result = await run('bash', ['k8s/cluster/down.sh']);
  timings.push(`${label}down ${result.seconds.toFixed(1)} s`);
  record(
    `${label}down`,
    result.status === 0 && /host restored/.test(result.output),
    `exit ${result.status} in ${result.seconds.toFixed(1)} s`,
  );
}

/** The graceful run: up, every live check, down, each kind of host setting compared. */
async function gracefulRun(settings: ClusterSettings, before: Snapshot): Promise<void> {
  let pids: Record<string, string> = {};
  let during = before;
  if ((await up('')).ok) {
    pids = pidFileProcesses(settings);
    try {
      checkNode(settings);
      await checkApi(settings);
      checkIptablesAddresses();
      checkListeners(settings, pids);
    } catch (error) {
      record('live checks', false, (error as Error).message);
    }
    // With the pods still there: what up and the workloads changed, for the rows after down.
    during = takeSnapshot(settings);
  }
  await down('');
  compareHost(before, during, takeSnapshot(settings));
  const left = clusterProcesses(settings);
  const pidList = Object.entries(pids)
    .map(([name, pid]) => `${name} ${pid}`)
    .join(', ');
  record(
    'processes',
    left.length === 0,
    left.length === 0 ? `none left from the pid files (${pidList || 'none'})` : `still running: ${left.join('; ')}`,
  );
}

/**
 * A second up (the binaries from the cache, nothing built), the API running, then the kubelet,
 * apiserver and containerd killed with SIGKILL: down must still leave the host as it was.
 */
async function crashRun(settings: ClusterSettings, before: Snapshot): Promise<void> {
  const second = await up('crash run: ');
  record(
    'second up builds nothing',
    /reused the cached binaries/.test(second.output) && !/built /.test(second.output),
    'up printed "reused the cached binaries" and no "built" line',
  );
  if (second.ok) {
    kubectl(settings, ['apply', '-f', '-'], JSON.stringify(apiObjects(IMAGE)));
    const rollout = kubectl(settings, ['-n', NAMESPACE, 'rollout', 'status', 'deployment/api', '--timeout=180s']);
    const pids = pidFileProcesses(settings);
    for (const name of ['kubelet', 'kube-apiserver', 'containerd']) process.kill(Number(pids[name]), 'SIGKILL');
    record(
      'crash',
      rollout.status === 0,
      `the API pod Ready, then SIGKILL to kubelet ${pids.kubelet}, kube-apiserver ${pids['kube-apiserver']}, ` +
        `containerd ${pids.containerd}`,
    );
  }
  await down('crash run: ');
  const differences = compareSnapshots(before, takeSnapshot(settings)).filter(
    (difference) => difference.added.length + difference.removed.length > 0,
  );
  record(
    'crash run: host after down',
    differences.length === 0,
    differences.length === 0
      ? 'every kind of setting as before up'
      : differences.map((d) => `${d.kind} ${describeDifference(d)}`).join('; '),
  );
}

async function main(): Promise<void> {
  const settings = clusterSettings();
  if (process.getuid?.() !== 0 || existsSync(join(settings.run, 'baseline'))) {
    console.log('cluster-check: needs root and no cluster up (npm run cluster:down first)');
    process.exit(2);
  }
  if (!ensureImage()) return;
  const before = takeSnapshot(settings);
  await gracefulRun(settings, before);
  await crashRun(settings, before);
  const again = await run('bash', ['k8s/cluster/down.sh']);
  record(
    'down without a cluster',
    again.status === 0 && /nothing to do/.test(again.output),
    `exit ${again.status}: ${again.output.trim()}`,
  );
}

main()
  .catch((error: Error) => record('cluster-check', false, error.stack ?? error.message))
  .finally(() => {
    if (timings.length > 0) console.log(`timings: ${timings.join('; ')}`);
    const failed = results.filter((result) => !result.passed).length;
    console.log(`cluster: ${results.length - failed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  });
