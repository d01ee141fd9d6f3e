/**
 * A picture of every host setting the real cluster (k8s/cluster/up.sh) may change, taken before
 * `up` and after `down` by cluster-check.ts, which fails on any difference: sysctls, iptables and
 * ip6tables rules, nftables tables, ipsets, links, addresses, routes, network namespaces, mounts
 * and kubepods cgroups, the paths the kubelet, containerd and libcni write outside the run
 * folder, and processes running from the run folder or the binary cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The cluster's settings, as k8s/cluster/lib.sh defines them. */
export interface ClusterSettings {
  run: string;
  cache: string;
  nodeIp: string;
  nodeName: string;
  bridge: string;
  cniNetwork: string;
  podCidr: string;
  serviceCidr: string;
  hostPaths: string[];
  kubectl: string;
  /** The folder of the pinned standalone kustomize. */
  kustomize: string;
  kubeconfig: string;
  kubernetesVersion: string;
}

/** Sorted lines per kind of setting. */
export type Snapshot = Record<string, string[]>;

/** What changed in one kind of setting between two snapshots. */
export interface SnapshotDifference {
  kind: string;
  added: string[];
  removed: string[];
}

const CLUSTER_DIR = __dirname;

/** Reads lib.sh's variables through bash, so that the check and the scripts share one definition. */
export function clusterSettings(env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const names = [
    'RUN',
    'CACHE',
    'NODE_IP',
    'NODE_NAME',
    'BRIDGE',
    'CNI_NETWORK',
    'POD_CIDR',
    'SERVICE_CIDR',
    'HOST_PATHS',
    'K8S_BIN',
    'KUBECONFIG_ADMIN',
    'KUBERNETES_VERSION',
    'KUSTOMIZE_BIN',
  ];
  const script = `. "${join(CLUSTER_DIR, 'lib.sh')}" && printf '%s\\n' ${names.map((name) => `"$${name}"`).join(' ')}`;
  const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`lib.sh: ${result.stderr}`);
  const [
    run,
    cache,
    nodeIp,
    nodeName,
    bridge,
    cniNetwork,
    podCidr,
    serviceCidr,
    hostPaths,
    bin,
    kubeconfig,
    kubernetesVersion,
    kustomize,
  ] = result.stdout.split('\n');
  return {
    run: run!,
    cache: cache!,
    nodeIp: nodeIp!,
    nodeName: nodeName!,
    bridge: bridge!,
    cniNetwork: cniNetwork!,
    podCidr: podCidr!,
    serviceCidr: serviceCidr!,
    hostPaths: hostPaths!.split(' '),
    kubectl: join(bin!, 'kubectl'),
    kustomize: kustomize!,
    kubeconfig: kubeconfig!,
    kubernetesVersion: kubernetesVersion!,
  };
}

/** A command's standard output as lines ('' when the tool is missing or fails). */
function lines(command: string, args: string[]): string[] {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return result.status === 0 ? result.stdout.split('\n').filter((line) => line.trim() !== '') : [];
}

/** Kernel counters that move on their own on a busy machine. */
const VOLATILE_SYSCTL =
  /^(fs\.(dentry-state|file-nr|inode-nr|inode-state|aio-nr|quota\..*)|kernel\.(ns_last_pid|pty\.nr|random\..*)|net\.netfilter\.nf_conntrack_count) = /;

function sysctls(): string[] {
  return lines('sysctl', ['-a'])
    .filter((line) => !VOLATILE_SYSCTL.test(line))
    .map((line) => line.replace(/\t/g, ' '));
}

/** iptables-save without comments, COMMIT lines or counters: "table line". */
function iptablesRules(tool: string): string[] {
  let table = '';
  return lines(`${tool}-save`, []).flatMap((line) => {
    if (line.startsWith('*')) table = line.slice(1);
    if (line.startsWith('#') || line.startsWith('*') || line === 'COMMIT') return [];
    return [`${table} ${line.replace(/ \[\d+:\d+\]$/, '')}`];
  });
}

/** Mount points (with their file system type) at or below the paths the cluster mounts on. */
function mounts(settings: ClusterSettings): string[] {
  const prefixes = [
    settings.run,
    '/var/lib/kubelet',
    '/run/netns',
    '/var/run/netns',
    '/run/containerd',
    '/var/lib/cni',
    '/var/log/pods',
  ];
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .flatMap((line) => {
      const fields = line.split(' ');
      const point = fields[4] ?? '';
      const type = fields[fields.indexOf('-') + 1] ?? '';
      return prefixes.some((prefix) => point === prefix || point.startsWith(`${prefix}/`)) ? [`${point} ${type}`] : [];
    });
}

function kubepodsCgroups(): string[] {
  return lines('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-type', 'd', '-name', 'kubepods*']);
}

/** Which of the paths written outside the run folder exist (and the CNI results of this network). */
function hostPaths(settings: ClusterSettings): string[] {
  const paths = [
    ...settings.hostPaths,
    '/etc/cni',
    '/opt/cni',
    '/opt/containerd',
    '/etc/kubernetes',
    '/var/lib/kube-router',
    '/var/lib/etcd',
  ];
  const results = existsSync('/var/lib/cni/results')
    ? readdirSync('/var/lib/cni/results').filter((name) => name.startsWith(`${settings.cniNetwork}-`))
    : [];
  return [...paths.filter((path) => existsSync(path)), ...results.map((name) => `/var/lib/cni/results/${name}`)];
}

/** Processes whose command line names the run folder or the binary cache: "pid command". */
export function clusterProcesses(settings: ClusterSettings): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .flatMap((pid) => {
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        return []; // gone meanwhile
      }
      return cmdline.includes(settings.run) || cmdline.includes(settings.cache)
        ? [`${pid} ${cmdline.slice(0, 120)}`]
        : [];
    });
}

export function takeSnapshot(settings: ClusterSettings): Snapshot {
  const snapshot: Snapshot = {
    sysctls: sysctls(),
    iptables: iptablesRules('iptables'),
    ip6tables: iptablesRules('ip6tables'),
    nftables: lines('nft', ['list', 'tables']),
    ipsets: lines('ipset', ['list', '-n']),
    links: lines('ip', ['-o', 'link', 'show']).map((line) => line.split(/\s+/).slice(1, 2).join(' ').replace(/:$/, '')),
    addresses: lines('ip', ['-o', 'addr', 'show']).map((line) => line.split(/\s+/).slice(1, 4).join(' ')),
    routes: [
      ...lines('ip', ['route', 'show', 'table', 'all']),
      ...lines('ip', ['-6', 'route', 'show', 'table', 'all']),
    ].map((line) => line.replace(/ expires \d+sec/, '')),
    netns: existsSync('/run/netns') ? readdirSync('/run/netns') : [],
    mounts: mounts(settings),
    cgroups: kubepodsCgroups(),
    paths: hostPaths(settings),
    processes: clusterProcesses(settings).map((line) => line.replace(/^\d+ /, '')),
  };
  for (const kind of Object.keys(snapshot)) snapshot[kind] = [...new Set(snapshot[kind])].sort();
  return snapshot;
}

/** Every kind of setting, with what `after` has that `before` had not and the reverse. */
export function compareSnapshots(before: Snapshot, after: Snapshot): SnapshotDifference[] {
  const kinds = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return kinds.map((kind) => {
    const was = new Set(before[kind] ?? []);
    const is = new Set(after[kind] ?? []);
    return { kind, added: [...is].filter((line) => !was.has(line)), removed: [...was].filter((line) => !is.has(line)) };
  });
}

/** One line for a difference: what appeared and what went, the first few of each. */
export function describeDifference({ added, removed }: SnapshotDifference, limit = 4): string {
  const part = (sign: string, items: string[]): string =>
    items.length === 0
      ? ''
      : `${sign}${items.length} (${items.slice(0, limit).join('; ')}${items.length > limit ? '; …' : ''})`;
  return [part('+', added), part('-', removed)].filter(Boolean).join(' ') || 'unchanged';
}
