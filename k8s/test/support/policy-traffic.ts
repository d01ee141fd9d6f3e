/**
 * How traffic reaches the API pods: Services onto the container port, NetworkPolicies that let only
 * the ingress controller and monitoring in, and the main and canary Ingresses.
 */
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IService } from 'kubernetes-models/v1/Service';
import { API_PORT, EXPERIMENT_HEADER, EXPERIMENT_VALUE } from './contract';
import type { Check } from './objects';
import { configValue, envValue, id, matches, ofKind, resolvePort, workloads } from './objects';

/** Services reach container port 8000 through a port the selected pods really have. */
export const servicePortsPolicy: Check = (docs) => {
  const problems: string[] = [];
  for (const s of ofKind<IService>(docs, 'Service')) {
    const pods = workloads(docs).filter((w) => matches(s.spec?.selector, w.template.metadata?.labels));
    for (const port of s.spec?.ports ?? []) {
      for (const pod of pods) {
        const targets = (pod.template.spec?.containers ?? []).map((c) => resolvePort(c, port.targetPort ?? port.port));
        if (!targets.includes(API_PORT))
          problems.push(
            `${id(s)} port ${port.name ?? port.port}: targetPort ${String(port.targetPort)} is not container port ` +
              `${API_PORT} of ${id(pod.doc)}`,
          );
      }
    }
  }
  for (const { doc, template } of workloads(docs)) {
    for (const c of template.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        if (p.containerPort !== API_PORT)
          problems.push(`${id(doc)} container ${c.name}: port ${p.containerPort} is not the API's ${API_PORT}`);
      }
      const portEnv = envValue(c, 'PORT') ?? configValue(docs, c, 'PORT');
      if (c.ports?.length && portEnv !== undefined && Number(portEnv) !== API_PORT)
        problems.push(`${id(doc)} container ${c.name}: PORT=${portEnv} but the container port is ${API_PORT}`);
    }
  }
  return problems;
};

/** Deny by default; port 8000 from ingress-nginx and monitoring only; DNS is the only egress. */
export const networkPolicy: Check = (docs) => {
  const problems: string[] = [];
  const policies = ofKind<INetworkPolicy>(docs, 'NetworkPolicy');
  const denyAll = policies.find(
    (p) => Object.keys(p.spec?.podSelector ?? {}).length === 0 && !p.spec?.ingress && !p.spec?.egress,
  );
  if (!denyAll || !(['Ingress', 'Egress'] as const).every((t) => denyAll.spec?.policyTypes?.includes(t)))
    problems.push('no default deny-all NetworkPolicy for ingress and egress');
  const sources = new Set<string>();
  for (const p of policies) {
    for (const rule of p.spec?.ingress ?? []) {
      if (!(rule.ports ?? []).length || rule.ports!.some((port) => port.port !== API_PORT && port.port !== 'http'))
        problems.push(`${id(p)}: an ingress rule opens more than port ${API_PORT}`);
      for (const peer of rule.from ?? []) {
        const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        if (ns) sources.add(ns);
        if (peer.ipBlock) problems.push(`${id(p)}: ipBlock peers are not allowed`);
      }
    }
    for (const rule of p.spec?.egress ?? []) {
      if (!(rule.ports ?? []).length || rule.ports!.some((port) => port.port !== 53))
        problems.push(`${id(p)}: egress other than DNS (port 53)`);
    }
  }
  for (const ns of ['ingress-nginx', 'monitoring']) {
    if (!sources.has(ns)) problems.push(`no NetworkPolicy lets namespace ${ns} reach port ${API_PORT}`);
  }
  return problems;
};

/** The main and the canary Ingress: nginx class, TLS, same host, header rule to v2, a weight. */
export const ingressPolicy: Check = (docs) => {
  const problems: string[] = [];
  const ingresses = ofKind<IIngress>(docs, 'Ingress');
  const services = ofKind<IService>(docs, 'Service');
  const isCanary = (i: IIngress): boolean => i.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary'] === 'true';
  const main = ingresses.filter((i) => !isCanary(i));
  const canary = ingresses.filter(isCanary);
  if (main.length !== 1 || canary.length !== 1)
    problems.push(`expected one main and one canary Ingress, got ${main.length} and ${canary.length}`);
  for (const i of ingresses) {
    if (i.spec?.ingressClassName !== 'nginx') problems.push(`${id(i)}: ingressClassName must be nginx`);
    const hosts = (i.spec?.rules ?? []).map((r) => r.host);
    const covered = (host: string | undefined): boolean =>
      (i.spec?.tls ?? []).some((t) => Boolean(t.secretName) && t.hosts?.includes(host ?? ''));
    if (hosts.length === 0 || !hosts.every(covered)) problems.push(`${id(i)}: every host needs TLS`);
    for (const rule of i.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        const service = services.find((s) => s.metadata?.name === backend?.name);
        if (!service) problems.push(`${id(i)}: backend Service ${String(backend?.name)} is not rendered`);
        else if (!service.spec?.ports?.some((p) => p.name === backend?.port?.name || p.port === backend?.port?.number))
          problems.push(`${id(i)}: backend port is not a port of Service ${service.metadata?.name}`);
      }
    }
  }
  const [m, c] = [main[0], canary[0]];
  if (m && c) {
    const a = c.metadata?.annotations ?? {};
    if (
      a['nginx.ingress.kubernetes.io/canary-by-header'] !== EXPERIMENT_HEADER ||
      a['nginx.ingress.kubernetes.io/canary-by-header-value'] !== EXPERIMENT_VALUE
    ) {
      problems.push(`${id(c)}: must route ${EXPERIMENT_HEADER}: ${EXPERIMENT_VALUE} to the canary`);
    }
    const weight = a['nginx.ingress.kubernetes.io/canary-weight'];
    if (weight === undefined || !/^\d+$/.test(weight) || Number(weight) > 100)
      problems.push(`${id(c)}: canary-weight must be an integer string 0..100`);
    const hostsOf = (i: IIngress): string =>
      JSON.stringify((i.spec?.rules ?? []).map((r) => [r.host, (r.http?.paths ?? []).map((p) => p.path)]));
    if (hostsOf(m) !== hostsOf(c))
      problems.push(`${id(c)}: hosts and paths must equal the main Ingress's for the canary to apply`);
    const backendOf = (i: IIngress): string | undefined => i.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name;
    const variantOf = (name: string | undefined): string | undefined =>
      services.find((s) => s.metadata?.name === name)?.metadata?.labels?.['mlship.io/variant'];
    if (variantOf(backendOf(m)) !== 'v1') problems.push(`${id(m)}: must send to the v1 Service`);
    if (variantOf(backendOf(c)) !== 'v2') problems.push(`${id(c)}: must send to the v2 Service`);
  }
  return problems;
};
