/**
 * The README's Gateway of k8s/components/gateway-api takes the routes the component renders: the
 * parent each route names, its listener, the namespaces it admits routes from, and the grant a
 * certificate in another namespace needs.
 */
import { id } from './objects';
import type { HTTPRoute } from './policy-gateway';
import type { K8sObject } from './render';

interface Listener {
  name: string;
  protocol: string;
  port: number;
  hostname?: string;
  tls?: { certificateRefs?: { kind?: string; name: string; namespace?: string }[] };
  allowedRoutes?: { namespaces?: { from?: string; selector?: { matchLabels?: Record<string, string> } } };
}
interface Gateway extends K8sObject {
  spec: { listeners: Listener[] };
}
interface ReferenceGrant extends K8sObject {
  spec: {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
  };
}

/**
 * The README's Gateway takes the routes: its name and namespace are the routes' parent, it has
 * their listeners for their host (HTTPS with a certificate on 443, HTTP on 80), and both let in
 * routes of the routes' namespace. A certificate in another namespace needs the README's grant.
 */
export function gatewayParentProblems(examples: K8sObject[], routes: HTTPRoute[], routeNamespace: string): string[] {
  const gateways = examples.filter((d) => d.kind === 'Gateway') as Gateway[];
  const grants = examples.filter((d) => d.kind === 'ReferenceGrant') as ReferenceGrant[];
  const problems: string[] = [];
  for (const route of routes) {
    const parent = route.spec.parentRefs?.[0];
    const gateway = gateways.find(
      (g) => g.metadata.name === parent?.name && g.metadata.namespace === parent?.namespace,
    );
    if (!parent || !gateway) {
      problems.push(`${id(route)}: its parent ${JSON.stringify(parent)} is not the README's Gateway`);
      continue;
    }
    const listener = gateway.spec.listeners.find((l) => l.name === parent.sectionName);
    const https = listener?.protocol === 'HTTPS';
    if (
      !listener ||
      (https
        ? listener.port !== 443 || !listener.tls?.certificateRefs?.length
        : listener.protocol !== 'HTTP' || listener.port !== 80)
    ) {
      problems.push(
        `${id(route)}: the Gateway has no listener ${String(parent.sectionName)} (HTTPS on 443 with a certificate, ` +
          `or HTTP on 80)`,
      );
      continue;
    }
    if (!(route.spec.hostnames ?? []).every((host) => listener.hostname === host))
      problems.push(
        `${id(route)}: listener ${listener.name} is for ${String(listener.hostname)}, not ` +
          `${JSON.stringify(route.spec.hostnames)}`,
      );
    const allowed = listener.allowedRoutes?.namespaces;
    const admits =
      allowed?.from === 'All' ||
      (allowed?.from === 'Selector' &&
        allowed.selector?.matchLabels?.['kubernetes.io/metadata.name'] === routeNamespace);
    if (!admits)
      problems.push(`${id(route)}: listener ${listener.name} does not allow routes from namespace ${routeNamespace}`);
    for (const ref of listener.tls?.certificateRefs ?? []) {
      if (!ref.namespace || ref.namespace === gateway.metadata.namespace) continue;
      const granted = grants.some(
        (g) =>
          g.metadata.namespace === ref.namespace &&
          g.spec.from.some((f) => f.kind === 'Gateway' && f.namespace === gateway.metadata.namespace) &&
          g.spec.to.some(
            (t) => t.group === '' && t.kind === (ref.kind ?? 'Secret') && (t.name ?? ref.name) === ref.name,
          ),
      );
      if (!granted)
        problems.push(
          `${id(gateway)}: reads Secret ${ref.namespace}/${ref.name} without a ReferenceGrant in ${ref.namespace}`,
        );
    }
  }
  return problems;
}
