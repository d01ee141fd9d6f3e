/**
 * The objects cluster-check.ts applies to the real cluster: the API as a Deployment under the
 * same restricted security context as k8s/base (non-root 10001, read-only root, no capabilities,
 * RuntimeDefault seccomp), a NodePort Service, one-shot client pods, and a deny-all ingress
 * NetworkPolicy. The image is loaded from Docker, never pulled (imagePullPolicy: Never).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { IService } from 'kubernetes-models/v1/Service';

export const NAMESPACE = 'mlship-check';
export const NODE_PORT = 30080;
const LABELS = { app: 'api' };

const podSecurity: IPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  seccompProfile: { type: 'RuntimeDefault' },
};

const containerSecurity: IContainer['securityContext'] = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

export function apiObjects(image: string): {
  apiVersion: 'v1';
  kind: 'List';
  items: Array<INamespace | IDeployment | IService>;
} {
  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: NAMESPACE, labels: LABELS },
    spec: {
      replicas: 1,
      selector: { matchLabels: LABELS },
      template: {
        metadata: { labels: LABELS },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurity,
          containers: [
            {
              name: 'api',
              image,
              imagePullPolicy: 'Never',
              // The image's development users, allowed in production mode: a throwaway cluster.
              env: [{ name: 'ALLOW_DEV_CREDENTIALS', value: 'true' }],
              ports: [{ name: 'http', containerPort: 8000 }],
              startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 60 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, failureThreshold: 2 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: containerSecurity,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: NAMESPACE },
    spec: {
      type: 'NodePort',
      selector: LABELS,
      ports: [{ name: 'http', port: 8000, targetPort: 'http', nodePort: NODE_PORT }],
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }, deployment, service],
  };
}

/** A pod that GETs `url` once (3 s timeout) and ends Succeeded on a 200, Failed otherwise. */
export function clientPod(name: string, image: string, url: string): IPod {
  const script = [
    'fetch(process.env.URL, { signal: AbortSignal.timeout(3000) }).then(',
    "(r) => { console.log('status ' + r.status); process.exit(r.status === 200 ? 0 : 1); },",
    "(e) => { console.log('no answer: ' + (e.cause?.code ?? e.name)); process.exit(1); });",
  ].join(' ');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: 'client' } },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurity,
      containers: [
        {
          name: 'client',
          image,
          imagePullPolicy: 'Never',
          command: ['node', '-e', script],
          env: [{ name: 'URL', value: url }],
          securityContext: containerSecurity,
        },
      ],
    },
  };
}

/** No ingress at all to the API pods (kube-router still lets the node itself through). */
export function denyApiPolicy(): INetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'deny-api', namespace: NAMESPACE },
    spec: { podSelector: { matchLabels: LABELS }, policyTypes: ['Ingress'], ingress: [] },
  };
}
