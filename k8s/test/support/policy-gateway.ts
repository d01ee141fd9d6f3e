/**
 * The Gateway API routes of k8s/components/gateway-api must do what the Ingresses of k8s/base do:
 * same host and path, the experiment header to v2 only, the canary Ingress's weight, the
 * redirect to HTTPS, the same Services and ports. The Ingresses are the reference, so a change to
 * one edge that the other does not follow fails here. Each check returns its problems, [] when
 * none; the live check runs them on the routes the API server stored too.
 */
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IService } from 'kubernetes-models/v1/Service';
import { API_PORT, EXPERIMENT_HEADER, EXPERIMENT_VALUE } from './contract';
import type { Check } from './objects';
import { id, ofKind } from './objects';
import type { K8sObject } from './render';

interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
}
interface HeaderMatch {
  type?: string;
  name: string;
  value: string;
}
interface RouteMatch {
  path?: { type?: string; value?: string };
  headers?: HeaderMatch[];
  method?: string;
  queryParams?: unknown[];
}
interface BackendRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  port?: number;
  weight?: number;
}
interface RouteFilter {
  type: string;
  requestRedirect?: { scheme?: string; statusCode?: number; hostname?: string; port?: number; path?: unknown };
}
interface RouteRule {
  matches?: RouteMatch[];
  filters?: RouteFilter[];
  backendRefs?: BackendRef[];
}
export interface HTTPRoute extends K8sObject {
  spec: { parentRefs?: ParentRef[]; hostnames?: string[]; rules?: RouteRule[] };
}

/** ingress-nginx answers `ssl-redirect` with 308, its default `http-redirect-code`. */
export const HTTPS_REDIRECT_CODE = 308;

const isCanary = (i: IIngress): boolean => i.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary'] === 'true';
const weightOf = (ref: BackendRef): number => ref.weight ?? 1;
const isGatewayRef = (ref: ParentRef): boolean =>
  (ref.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io' && (ref.kind ?? 'Gateway') === 'Gateway';
/** The route that serves the API (it has backends) and the one that only redirects. */
const servingRoute = (routes: HTTPRoute[]): HTTPRoute[] =>
  routes.filter((r) => (r.spec.rules ?? []).some((rule) => (rule.backendRefs ?? []).length > 0));
const redirectRoute = (routes: HTTPRoute[]): HTTPRoute[] => routes.filter((r) => !servingRoute([r]).length);

/** Ingress path types as HTTPRoute path types: Prefix is PathPrefix, Exact is Exact. */
function ingressPaths(i: IIngress): string[] {
  return (i.spec?.rules ?? []).flatMap((r) =>
    (r.http?.paths ?? []).map((p) => `${p.pathType === 'Prefix' ? 'PathPrefix' : p.pathType}:${p.path}`),
  );
}

function routePaths(rule: RouteRule): string[] {
  return (rule.matches ?? [{}]).map((m) => `${m.path?.type ?? 'PathPrefix'}:${m.path?.value ?? '/'}`);
}

/** The experiment header, exactly, in a match (header names are case-insensitive in HTTP). */
const hasExperimentHeader = (m: RouteMatch): boolean =>
  (m.headers ?? []).length === 1 &&
  m.headers!.every(
    (h) =>
      h.name.toLowerCase() === EXPERIMENT_HEADER.toLowerCase() &&
      (h.type ?? 'Exact') === 'Exact' &&
      h.value === EXPERIMENT_VALUE,
  );

/** Every backend is a Service of the same namespace at the port number the Ingress names. */
function backendProblems(route: HTTPRoute, canary: IIngress, main: IIngress, services: IService[]): string[] {
  const problems: string[] = [];
  const ingressPort = (i: IIngress, service: IService | undefined): number | undefined => {
    const port = i.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.port;
    return service?.spec?.ports?.find((p) => p.name === port?.name || p.port === port?.number)?.port;
  };
  for (const rule of route.spec.rules ?? []) {
    for (const ref of rule.backendRefs ?? []) {
      const service = services.find((s) => s.metadata?.name === ref.name);
      if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service' || ref.namespace !== undefined)
        problems.push(`${id(route)}: backend ${ref.name} must be a Service of the route's own namespace`);
      if (!service) problems.push(`${id(route)}: backend Service ${ref.name} is not rendered`);
      const ingress = [main, canary].find(
        (i) => i.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name === ref.name,
      );
      if (service && ref.port !== ingressPort(ingress ?? main, service))
        problems.push(
          `${id(route)}: backend ${ref.name} port ${String(ref.port)} is not the Service port the Ingress uses (` +
            `${String(ingressPort(ingress ?? main, service))})`,
        );
    }
  }
  return problems;
}

/** Host, path, header rule and weights of the serving route against the two Ingresses. */
export const gatewayRoutesPolicy: Check = (docs) => {
  const ingresses = ofKind<IIngress>(docs, 'Ingress');
  const services = ofKind<IService>(docs, 'Service');
  const [main, canary] = [ingresses.find((i) => !isCanary(i)), ingresses.find(isCanary)];
  const served = servingRoute(docs.filter((d) => d.kind === 'HTTPRoute') as HTTPRoute[]);
  if (!main || !canary) return ['the main and the canary Ingress are the reference: both must be rendered'];
  if (served.length !== 1) return [`expected one HTTPRoute with backends, got ${served.length}`];
  const route = served[0]!;
  const problems = backendProblems(route, canary, main, services);
  const variantOf = (name: string): string | undefined =>
    services.find((s) => s.metadata?.name === name)?.metadata?.labels?.['mlship.io/variant'];
  const hosts = (main.spec?.rules ?? []).map((r) => r.host ?? '').sort();
  if (JSON.stringify([...(route.spec.hostnames ?? [])].sort()) !== JSON.stringify(hosts))
    problems.push(
      `${id(route)}: hostnames ${JSON.stringify(route.spec.hostnames ?? [])} are not the Ingress hosts ` +
        `${JSON.stringify(hosts)}`,
    );
  if (
    (route.spec.parentRefs ?? []).length !== 1 ||
    !isGatewayRef(route.spec.parentRefs![0]!) ||
    !route.spec.parentRefs![0]!.sectionName
  )
    problems.push(`${id(route)}: must attach to one listener (sectionName) of one Gateway`);
  const rules = route.spec.rules ?? [];
  const headerRules = rules.filter((r) => (r.matches ?? []).some((m) => (m.headers ?? []).length > 0));
  const plainRules = rules.filter((r) => !headerRules.includes(r));
  if (headerRules.length !== 1 || plainRules.length !== 1)
    return [
      ...problems,
      `${id(route)}: expected one rule with the experiment header and one without, got ${headerRules.length} and ` +
        `${plainRules.length}`,
    ];
  const [header, plain] = [headerRules[0]!, plainRules[0]!];
  for (const [name, rule] of [
    ['header rule', header],
    ['weighted rule', plain],
  ] as const) {
    if (JSON.stringify(routePaths(rule)) !== JSON.stringify(ingressPaths(main)))
      problems.push(
        `${id(route)}: ${name} matches ${JSON.stringify(routePaths(rule))}, the Ingress ` +
          `${JSON.stringify(ingressPaths(main))}`,
      );
    if ((rule.matches ?? []).some((m) => m.method !== undefined || (m.queryParams ?? []).length > 0))
      problems.push(`${id(route)}: ${name} matches more than the Ingress (method or query)`);
    if ((rule.filters ?? []).length > 0) problems.push(`${id(route)}: ${name} has filters the Ingress does not have`);
  }
  if (!(header.matches ?? []).every(hasExperimentHeader))
    problems.push(
      `${id(route)}: the header rule must match ${EXPERIMENT_HEADER}: ${EXPERIMENT_VALUE} exactly, and nothing else`,
    );
  const headerBackends = (header.backendRefs ?? []).filter((ref) => weightOf(ref) > 0);
  if (headerBackends.length === 0 || headerBackends.some((ref) => variantOf(ref.name) !== 'v2'))
    problems.push(`${id(route)}: ${EXPERIMENT_HEADER}: ${EXPERIMENT_VALUE} must reach v2 only`);
  const weights = { v1: 0, v2: 0, other: 0 };
  for (const ref of plain.backendRefs ?? []) {
    const variant = variantOf(ref.name);
    weights[variant === 'v1' || variant === 'v2' ? variant : 'other'] += weightOf(ref);
  }
  const canaryWeight = Number(canary.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary-weight'] ?? 0);
  if (weights.other > 0 || weights.v1 + weights.v2 !== 100 || weights.v2 !== canaryWeight) {
    problems.push(
      `${id(route)}: the weighted rule gives v1 ${weights.v1} and v2 ${weights.v2} (other ${weights.other}); the ` +
        `canary Ingress sends ${canaryWeight} of 100 to v2`,
    );
  }
  return problems;
};

/** Plain HTTP is redirected to HTTPS, as the Ingress's ssl-redirect does, on the same host and Gateway. */
export const gatewayRedirectPolicy: Check = (docs) => {
  const routes = docs.filter((d) => d.kind === 'HTTPRoute') as HTTPRoute[];
  const main = ofKind<IIngress>(docs, 'Ingress').find((i) => !isCanary(i));
  const redirects = redirectRoute(routes);
  const served = servingRoute(routes)[0];
  const redirecting = main?.metadata?.annotations?.['nginx.ingress.kubernetes.io/ssl-redirect'] !== 'false';
  if (!redirecting) return redirects.length === 0 ? [] : ['the Ingress does not redirect to HTTPS, but a route does'];
  if (redirects.length !== 1 || !served)
    return [
      `the Ingress redirects HTTP to HTTPS: expected one redirect-only HTTPRoute beside the serving one, got ` +
        `${redirects.length}`,
    ];
  const route = redirects[0]!;
  const problems: string[] = [];
  const [parent, servedParent] = [route.spec.parentRefs?.[0], served.spec.parentRefs?.[0]];
  if (
    (route.spec.parentRefs ?? []).length !== 1 ||
    !parent ||
    !servedParent ||
    parent.name !== servedParent.name ||
    parent.namespace !== servedParent.namespace ||
    !isGatewayRef(parent)
  )
    problems.push(`${id(route)}: must attach to the serving route's Gateway`);
  else if (!parent.sectionName || parent.sectionName === servedParent.sectionName)
    problems.push(
      `${id(route)}: must attach to a listener of its own (the ` +
        `plain HTTP one), not ${String(servedParent.sectionName)}`,
    );
  if (JSON.stringify(route.spec.hostnames ?? []) !== JSON.stringify(served.spec.hostnames ?? []))
    problems.push(`${id(route)}: hostnames differ from ${id(served)}'s`);
  const rules = route.spec.rules ?? [];
  const redirect = rules[0]?.filters?.find((f) => f.type === 'RequestRedirect')?.requestRedirect;
  if (rules.length !== 1 || (rules[0]!.filters ?? []).length !== 1 || !redirect)
    problems.push(`${id(route)}: expected one rule with one RequestRedirect filter`);
  else if (
    redirect.scheme !== 'https' ||
    redirect.statusCode !== HTTPS_REDIRECT_CODE ||
    redirect.hostname !== undefined ||
    redirect.port !== undefined ||
    redirect.path !== undefined
  ) {
    problems.push(
      `${id(route)}: must redirect to https with ${HTTPS_REDIRECT_CODE} and keep host, port default and path (got ` +
        `${JSON.stringify(redirect)})`,
    );
  }
  return problems;
};

/** Port 8000 of the same pods as the base's ingress policy, from exactly one namespace; its name. */
export function gatewayPolicyNamespace(docs: K8sObject[]): { namespace?: string; problems: string[] } {
  const policies = ofKind<INetworkPolicy>(docs, 'NetworkPolicy');
  const policy = policies.find((p) => p.metadata?.name === 'api-allow-gateway');
  const base = policies.find((p) => p.metadata?.name === 'api-allow-ingress-and-monitoring');
  if (!policy || !base)
    return {
      problems: ['NetworkPolicy api-allow-gateway and the base api-allow-ingress-and-monitoring must both be rendered'],
    };
  const problems: string[] = [];
  if (JSON.stringify(policy.spec?.podSelector) !== JSON.stringify(base.spec?.podSelector))
    problems.push(`${id(policy)}: must select the pods the base policy opens (both API variants)`);
  if (JSON.stringify(policy.spec?.policyTypes) !== '["Ingress"]' || policy.spec?.egress !== undefined)
    problems.push(`${id(policy)}: must be an ingress-only policy`);
  const rules = policy.spec?.ingress ?? [];
  const peers = rules[0]?.from ?? [];
  const ports = rules[0]?.ports ?? [];
  if (
    rules.length !== 1 ||
    ports.length !== 1 ||
    ports[0]!.port !== API_PORT ||
    (ports[0]!.protocol ?? 'TCP') !== 'TCP'
  )
    problems.push(`${id(policy)}: must open TCP port ${API_PORT} only`);
  const namespace = peers[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  if (
    peers.length !== 1 ||
    !namespace ||
    peers[0]!.ipBlock ||
    Object.keys(peers[0]!.namespaceSelector?.matchLabels ?? {}).length !== 1
  )
    problems.push(`${id(policy)}: must let in exactly one namespace, by name`);
  return { namespace, problems };
}

/**
 * The conformance features beyond Core that the routes use, by the names the Gateway API's
 * conformance reports give them (a controller declares the Extended ones it supports). Anything
 * this does not know is named `unknown: …`, so a new field or filter fails the docs' table test
 * until someone looks up its support level.
 */
export function featuresBeyondCore(routes: HTTPRoute[]): string[] {
  const features = new Set<string>();
  const known = new Set(['matches', 'filters', 'backendRefs']);
  for (const rule of routes.flatMap((r) => r.spec.rules ?? [])) {
    for (const key of Object.keys(rule)) if (!known.has(key)) features.add(`unknown: rule field ${key}`);
    for (const match of rule.matches ?? []) {
      if (match.method !== undefined) features.add('HTTPRouteMethodMatching');
      if ((match.queryParams ?? []).length > 0) features.add('HTTPRouteQueryParamMatching');
      if (
        (match.headers ?? []).some((h) => (h.type ?? 'Exact') !== 'Exact') ||
        !['Exact', 'PathPrefix'].includes(match.path?.type ?? 'PathPrefix')
      )
        features.add('unknown: implementation-specific match');
    }
    for (const filter of rule.filters ?? []) {
      const redirect = filter.requestRedirect;
      if (filter.type !== 'RequestRedirect' || !redirect) {
        features.add(`unknown: filter ${filter.type}`);
        continue;
      }
      if (redirect.scheme !== undefined) features.add('HTTPRouteSchemeRedirect');
      if (redirect.port !== undefined) features.add('HTTPRoutePortRedirect');
      if (redirect.path !== undefined) features.add('HTTPRoutePathRedirect');
      if (![undefined, 301, 302].includes(redirect.statusCode))
        features.add(`HTTPRoute${String(redirect.statusCode)}RedirectStatusCode`);
    }
  }
  return [...features].sort();
}
