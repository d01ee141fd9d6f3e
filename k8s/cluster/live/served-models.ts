/**
 * What the API pods of a namespace serve, asked of each pod on its own IP (the node reaches every
 * pod whatever the NetworkPolicies say, as kube-router lets the node's own traffic through): the
 * version and sha256 of one model from GET /status, and what would betray a restart (the pod's
 * UID, its container's restart count and start time).
 */
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { LiveCluster } from './context';
import { getJson } from './poll';

export interface ApiPod {
  name: string;
  uid: string;
  ip: string;
  restarts: number;
  /** When the api container last started: a restart changes it. */
  startedAt: string;
}

/** The Running pods of both API Deployments (label app.kubernetes.io/component=api). */
export function apiPods(cluster: Pick<LiveCluster, 'kubectl'>, namespace: string): ApiPod[] {
  const result = cluster.kubectl([
    '-n',
    namespace,
    'get',
    'pods',
    '-l',
    'app.kubernetes.io/component=api',
    '-o',
    'json',
  ]);
  if (result.status !== 0) throw new Error(`kubectl get pods: ${result.out}`);
  const pods = (JSON.parse(result.out) as { items: IPod[] }).items.filter((pod) => pod.status?.phase === 'Running');
  return pods
    .map((pod) => {
      const container = pod.status?.containerStatuses?.find((status) => status.name === 'api');
      return {
        name: pod.metadata?.name ?? '',
        uid: pod.metadata?.uid ?? '',
        ip: pod.status?.podIP ?? '',
        restarts: container?.restartCount ?? -1,
        startedAt: String(container?.state?.running?.startedAt ?? 'not running'),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One model as a pod serves it, or why the pod did not say. */
export interface Served {
  pod: string;
  version: string;
  sha256: string;
  uptimeSeconds: number;
}

interface Status {
  models: { name: string; version: string; sha256: string }[];
  uptimeSeconds: number;
}

/** GET /status of every pod: the version and sha256 each serves `model` at. */
export async function servedBy(pods: ApiPod[], model: string): Promise<Served[]> {
  return Promise.all(
    pods.map(async (pod): Promise<Served> => {
      const answer = await getJson<Status>(`http://${pod.ip}:8000/status`);
      if (!answer.ok) return { pod: pod.name, version: `no answer (${answer.error})`, sha256: '', uptimeSeconds: -1 };
      const served = answer.body.models.find((m) => m.name === model);
      return {
        pod: pod.name,
        version: served?.version ?? `no ${model}`,
        sha256: served?.sha256 ?? '',
        uptimeSeconds: answer.body.uptimeSeconds,
      };
    }),
  );
}

/** The distinct versions served, e.g. "190357a56951 (4 pods)". */
export function describeServed(served: Served[]): string {
  const counts = new Map<string, number>();
  for (const s of served) counts.set(s.version, (counts.get(s.version) ?? 0) + 1);
  return [...counts].map(([version, n]) => `${version} (${n} pod${n === 1 ? '' : 's'})`).join(', ');
}

/** The pods that are not the same processes as before: gone, replaced, or restarted. */
export function restartedSince(before: ApiPod[], after: ApiPod[]): string[] {
  const now = new Map(after.map((pod) => [pod.name, pod]));
  return before.flatMap((pod) => {
    const later = now.get(pod.name);
    if (!later) return [`${pod.name} gone`];
    if (later.uid !== pod.uid) return [`${pod.name} replaced`];
    if (later.restarts !== pod.restarts || later.startedAt !== pod.startedAt)
      return [`${pod.name} restarted (${pod.restarts}→${later.restarts}, started ${later.startedAt})`];
    return [];
  });
}
