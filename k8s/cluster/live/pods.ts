/**
 * What the traffic checks ask the cluster while their load runs: kubectl without blocking the
 * event loop (LiveCluster.kubectl is synchronous, and a blocked loop would pause the requests in
 * flight), each pod's readiness and address, and a bounded wait that polls instead of sleeping.
 */
import { spawn } from 'node:child_process';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { LiveCluster } from './context';
import { pollUntil } from '../../../scripts/support/poll-until';

/** kubectl with the cluster's kubeconfig, asynchronously; resolves with its status and output. */
export function kubectlAsync(
  cluster: LiveCluster,
  args: string[],
  timeoutMs = 300_000,
): Promise<{ status: number; out: string }> {
  const { kubectl, kubeconfig } = cluster.settings;
  return new Promise((resolve) => {
    const child = spawn(kubectl, ['--kubeconfig', kubeconfig, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (status) => resolve({ status: status ?? 1, out: out.trim() }));
  });
}

/** One pod as the checks see it. */
export interface PodState {
  name: string;
  ip: string;
  /** The Ready condition is True. */
  ready: boolean;
  /** Deletion has begun: the pod no longer counts as serving, whatever its condition says. */
  deleting: boolean;
  restarts: number;
  labels: Record<string, string>;
}

export function podState(pod: IPod): PodState {
  return {
    name: pod.metadata?.name ?? '',
    ip: pod.status?.podIP ?? '',
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    restarts: (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0),
    labels: pod.metadata?.labels ?? {},
  };
}

/** The namespace's pods (those matching `selector`, when given); undefined when kubectl failed. */
export async function listPods(
  cluster: LiveCluster,
  namespace: string,
  selector?: string,
): Promise<PodState[] | undefined> {
  const result = await kubectlAsync(
    cluster,
    ['-n', namespace, 'get', 'pods', '-o', 'json', ...(selector ? ['-l', selector] : [])],
    30_000,
  );
  if (result.status !== 0) return undefined;
  try {
    return (JSON.parse(result.out) as { items: IPod[] }).items.map(podState);
  } catch {
    return undefined;
  }
}

/** Pods that serve: Ready and not being deleted. */
export function serving(pods: PodState[]): PodState[] {
  return pods.filter((pod) => pod.ready && !pod.deleting);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `intervalMs` until it is true or `timeoutMs` passed; says which. */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<boolean> {
  return (await pollUntil(probe, (ok) => ok, { timeoutMs, intervalMs })).done;
}
