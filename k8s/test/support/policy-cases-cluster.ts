/**
 * The mutation cases of what surrounds the workloads: NetworkPolicies, Ingresses, autoscalers, the
 * namespace, and the registry the images come from.
 */
import { ALWAYS, imagePolicy } from './policy';
import type { PolicyCase } from './policy-edits';
import { api } from './policy-edits';

export const CLUSTER_CASES: PolicyCase[] = [
  [
    'egress opens HTTPS',
    ALWAYS.networkPolicy!,
    'NetworkPolicy/allow-dns-egress',
    (d) => void d.spec.egress[0].ports.push({ port: 443, protocol: 'TCP' }),
    /egress other than DNS/,
  ],
  [
    'deny-all is gone',
    ALWAYS.networkPolicy!,
    'NetworkPolicy/default-deny-all',
    (d) => (d.spec.policyTypes = ['Ingress']),
    /deny-all/,
  ],
  [
    'monitoring cannot reach the API',
    ALWAYS.networkPolicy!,
    'NetworkPolicy/api-allow-ingress-and-monitoring',
    (d) => void d.spec.ingress[0].from.pop(),
    /monitoring/,
  ],
  [
    'the canary listens to another header',
    ALWAYS.ingressPolicy!,
    'Ingress/api-canary',
    (d) => (d.metadata.annotations['nginx.ingress.kubernetes.io/canary-by-header'] = 'X-Canary'),
    /X-Experiment-Group/,
  ],
  [
    'the canary has another host',
    ALWAYS.ingressPolicy!,
    'Ingress/api-canary',
    (d) => (d.spec.rules[0].host = 'other.example.com'),
    /hosts and paths/,
  ],
  [
    'the canary weight is not a number',
    ALWAYS.ingressPolicy!,
    'Ingress/api-canary',
    (d) => (d.metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'] = 'ten'),
    /canary-weight/,
  ],
  ['TLS is dropped', ALWAYS.ingressPolicy!, 'Ingress/api', (d) => delete d.spec.tls, /TLS/],
  [
    'the ScaledObject scales a missing Deployment',
    ALWAYS.autoscalingPolicy!,
    'ScaledObject/api',
    (d) => (d.spec.scaleTargetRef.name = 'web'),
    /web/,
  ],
  [
    'an object leaves the namespace',
    ALWAYS.namespacePolicy!,
    'ServiceMonitor/api',
    (d) => delete d.metadata.namespace,
    /namespace is unset/,
  ],
  [
    'an image comes from Docker Hub',
    imagePolicy(),
    'Job/train',
    (d) => (api(d).image = 'docker.io/library/node:24'),
    /docker\.io/,
  ],
];
