/**
 * The kind cluster as a client reaches it: k8s/kind-cluster.yaml maps node ports to the host.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { parse } from 'yaml';
import type { Check } from './objects';
import { id, ofKind } from './objects';
import { K8S_DIR } from './render';

export interface PortMapping {
  containerPort: number;
  hostPort: number;
  listenAddress?: string;
}

/** The extraPortMappings of k8s/kind-cluster.yaml (or of `file`). */
export function kindPortMappings(file = join(K8S_DIR, 'kind-cluster.yaml')): PortMapping[] {
  const cluster = parse(readFileSync(file, 'utf8')) as { nodes: Array<{ extraPortMappings?: PortMapping[] }> };
  return cluster.nodes.flatMap((n) => n.extraPortMappings ?? []);
}

const ANNOTATION = 'nginx.ingress.kubernetes.io/';

/**
 * ingress-nginx answers plain HTTP on a host with TLS by redirecting to https://<host><uri>,
 * dropping the port (rootfs/etc/nginx/lua/lua_ingress.lua, redirect_host): the client goes to
 * port 443 of the host. That only works when the cluster maps its 443 to the host's 443.
 */
export function kindRedirectPolicy(mappings: readonly PortMapping[]): Check {
  return (docs) => {
    const problems: string[] = [];
    const https = mappings.find((m) => m.containerPort === 443);
    for (const ingress of ofKind<IIngress>(docs, 'Ingress')) {
      const annotations = ingress.metadata?.annotations ?? {};
      if (annotations[`${ANNOTATION}canary`] === 'true') continue; // the main Ingress decides
      const redirects =
        annotations[`${ANNOTATION}force-ssl-redirect`] === 'true' ||
        ((ingress.spec?.tls ?? []).length > 0 && annotations[`${ANNOTATION}ssl-redirect`] !== 'false');
      if (redirects && https?.hostPort !== 443) {
        problems.push(
          `${id(ingress)}: HTTP is redirected to port 443, but kind-cluster.yaml maps the controller's 443 to host ` +
            `port ${String(https?.hostPort)}`,
        );
      }
    }
    return problems;
  };
}
