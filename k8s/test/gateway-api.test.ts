/**
 * k8s/components/gateway-api, enabled in the production overlay with exactly the lines its README
 * gives: the routes do what the Ingresses do (host, path, Services, ports, the experiment header to
 * v2, the canary weight, the redirect to HTTPS), the README's Gateway takes them, and the
 * NetworkPolicy lets in the namespace the README names. Each check also fails on a render broken
 * on purpose. The live check (k8s/cluster/live/checks/gateway-api.ts) applies the same render to
 * a real API server with the Gateway API CRDs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDocPage } from '../../scripts/test/doc-pages';
import { componentObjects, readmeExamples, readmeOverlayLines, renderOverlayWith } from './support/gateway-api';
import type { HTTPRoute } from './support/policy-gateway';
import {
  featuresBeyondCore,
  gatewayPolicyNamespace,
  gatewayRedirectPolicy,
  gatewayRoutesPolicy,
} from './support/policy-gateway';
import { gatewayParentProblems } from './support/policy-gateway-parent';
import type { K8sObject, Workspace } from './support/render';
import { K8S_DIR, makeWorkspace } from './support/render';

let workspace: Workspace;
let docs: K8sObject[];

beforeAll(() => {
  workspace = makeWorkspace();
  docs = renderOverlayWith(workspace, 'production', readmeOverlayLines());
});

afterAll(() => workspace?.cleanup());

const routes = (objects: K8sObject[]): HTTPRoute[] => objects.filter((d) => d.kind === 'HTTPRoute') as HTTPRoute[];
const route = (objects: K8sObject[], name: string): HTTPRoute => routes(objects).find((r) => r.metadata.name === name)!;

/** A deep copy of the render with one change made to it. */
function broken(change: (copy: K8sObject[]) => void): K8sObject[] {
  const copy = structuredClone(docs);
  change(copy);
  return copy;
}

/** The README's NetworkPolicy patch value: the namespace it tells the deployer to let in. */
function readmePolicyNamespace(): unknown {
  const patches = readmeOverlayLines().patches as { target: { kind: string }; patch: string }[];
  const patch = patches.find((p) => p.target.kind === 'NetworkPolicy')!.patch;
  return /kubernetes\.io~1metadata\.name\n\s+value: (\S+)/.exec(patch)?.[1];
}

describe('production overlay with the gateway-api README lines', () => {
  test(
    'when rendered, then the component adds HTTPRoutes api and api-https-redirect and NetworkPolicy ' +
      'api-allow-gateway, all in mlship',
    () => {
      expect(
        componentObjects(docs)
          .map((d) => `${d.kind}/${d.metadata.name} in ${String(d.metadata.namespace)}`)
          .sort(),
      ).toEqual([
        'HTTPRoute/api in mlship',
        'HTTPRoute/api-https-redirect in mlship',
        'NetworkPolicy/api-allow-gateway in mlship',
      ]);
    },
  );

  test(
    'when rendered, then the routes match the Ingresses: host, path, Services and ports, header to v2, canary ' +
      'weight, redirect',
    () => {
      expect(gatewayRoutesPolicy(docs)).toEqual([]);
      expect(gatewayRedirectPolicy(docs)).toEqual([]);
    },
  );

  test(
    'when rendered, then X-Experiment-Group: debug goes to api-v2:80 and every other request to api:80 (100) or ' +
      'api-v2:80 (0)',
    () => {
      const api = route(docs, 'api');
      expect(api.spec.hostnames).toEqual(['mlship.example.com']);
      expect(api.spec.rules).toEqual([
        {
          matches: [
            {
              path: { type: 'PathPrefix', value: '/' },
              headers: [{ type: 'Exact', name: 'X-Experiment-Group', value: 'debug' }],
            },
          ],
          backendRefs: [{ name: 'api-v2', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { name: 'api', port: 80, weight: 100 },
            { name: 'api-v2', port: 80, weight: 0 },
          ],
        },
      ]);
      expect(route(docs, 'api-https-redirect').spec.rules).toEqual([
        { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 308 } }] },
      ]);
    },
  );

  test(
    "when rendered, then the README's Gateway takes both routes on their listeners, for their host, from " +
      'namespace mlship',
    () => {
      expect(readmeExamples().map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
        'Gateway/public',
        'ReferenceGrant/gateway-reads-mlship-tls',
      ]);
      expect(gatewayParentProblems(readmeExamples(), routes(docs), 'mlship')).toEqual([]);
    },
  );

  test(
    'when rendered, then the NetworkPolicy lets the namespace the README names reach TCP 8000 of both variants, ' +
      'and nothing else',
    () => {
      const { namespace, problems } = gatewayPolicyNamespace(docs);
      expect(problems).toEqual([]);
      expect(namespace).toBe(readmePolicyNamespace());
    },
  );
});

describe('each check, on a render broken on purpose', () => {
  const apiRoute = (copy: K8sObject[]): HTTPRoute => route(copy, 'api');
  const rule = (copy: K8sObject[], index: number) => apiRoute(copy).spec.rules![index]!;
  const canary = (copy: K8sObject[]): K8sObject =>
    copy.find((d) => d.kind === 'Ingress' && d.metadata.name === 'api-canary')!;

  test.each<[string, (copy: K8sObject[]) => void, RegExp]>([
    [
      'the canary weight moves on the Ingress only',
      (c) => {
        canary(c).metadata.annotations!['nginx.ingress.kubernetes.io/canary-weight'] = '20';
      },
      /gives v1 100 and v2 0 .* sends 20 of 100 to v2/,
    ],
    [
      'the weights do not add up to 100',
      (c) => {
        rule(c, 1).backendRefs![0]!.weight = 80;
      },
      /gives v1 80 and v2 0/,
    ],
    [
      'the header value is another',
      (c) => {
        rule(c, 0).matches![0]!.headers![0]!.value = 'Debug';
      },
      /must match X-Experiment-Group: debug exactly/,
    ],
    [
      'the header rule also reaches v1',
      (c) => {
        rule(c, 0).backendRefs!.push({ name: 'api', port: 80 });
      },
      /must reach v2 only/,
    ],
    [
      'a backend names the container port',
      (c) => {
        rule(c, 1).backendRefs![1]!.port = 8000;
      },
      /backend api-v2 port 8000 is not the Service port the Ingress uses \(80\)/,
    ],
    [
      'the host is not the Ingress host',
      (c) => {
        apiRoute(c).spec.hostnames = ['mlship.localhost'];
      },
      /hostnames \["mlship.localhost"\] are not the Ingress hosts \["mlship.example.com"\]/,
    ],
    [
      'the header rule is gone',
      (c) => {
        apiRoute(c).spec.rules!.shift();
      },
      /one rule with the experiment header and one without, got 0 and 1/,
    ],
    [
      'the route narrows the path',
      (c) => {
        rule(c, 1).matches![0]!.path!.value = '/predict';
      },
      /weighted rule matches \["PathPrefix:\/predict"\]/,
    ],
  ])('when %s, then the routes check says so', (_name, change, message) => {
    expect(gatewayRoutesPolicy(broken(change)).join('\n')).toMatch(message);
  });

  test.each<[string, (copy: K8sObject[]) => void, RegExp]>([
    [
      'the redirect is a 301',
      (c) => {
        route(c, 'api-https-redirect').spec.rules![0]!.filters![0]!.requestRedirect!.statusCode = 301;
      },
      /must redirect to https with 308/,
    ],
    [
      'the redirect shares the HTTPS listener',
      (c) => {
        route(c, 'api-https-redirect').spec.parentRefs![0]!.sectionName = 'https';
      },
      /a listener of its own/,
    ],
    [
      'the redirect route is gone',
      (c) => {
        c.splice(c.indexOf(route(c, 'api-https-redirect')), 1);
      },
      /expected one redirect-only HTTPRoute beside the serving one, got 0/,
    ],
  ])('when %s, then the redirect check says so', (_name, change, message) => {
    expect(gatewayRedirectPolicy(broken(change)).join('\n')).toMatch(message);
  });

  test('when the NetworkPolicy also opens port 9090, then the policy check says so', () => {
    const copy = broken((c) => {
      const policy = c.find((d) => d.metadata.name === 'api-allow-gateway') as K8sObject & {
        spec: { ingress: { ports: unknown[] }[] };
      };
      policy.spec.ingress[0]!.ports.push({ port: 9090, protocol: 'TCP' });
    });
    expect(gatewayPolicyNamespace(copy).problems).toEqual([
      'NetworkPolicy/api-allow-gateway: must open TCP port 8000 only',
    ]);
  });

  test(
    'when the Gateway admits routes of another namespace only, or reads the certificate without the grant, then ' +
      'the parent check says so',
    () => {
      const examples = readmeExamples();
      const gateway = examples.find((d) => d.kind === 'Gateway') as K8sObject & {
        spec: { listeners: { allowedRoutes: { namespaces: { selector: { matchLabels: Record<string, string> } } } }[] };
      };
      gateway.spec.listeners[1]!.allowedRoutes.namespaces.selector.matchLabels['kubernetes.io/metadata.name'] = 'other';
      expect(gatewayParentProblems(examples, routes(docs), 'mlship')).toEqual([
        'HTTPRoute/api-https-redirect: listener http does not allow routes from namespace mlship',
      ]);
      const withoutGrant = readmeExamples().filter((d) => d.kind !== 'ReferenceGrant');
      expect(gatewayParentProblems(withoutGrant, routes(docs), 'mlship')).toEqual([
        'Gateway/public: reads Secret mlship/mlship-tls without a ReferenceGrant in mlship',
      ]);
    },
  );
});

describe('docs/kubernetes.md on the Gateway API', () => {
  const page = readDocPage(join('docs', 'kubernetes.md'));

  test(
    'when its controller table is read, then its feature columns are exactly the features beyond Core that the ' +
      'routes use',
    () => {
      const header = page.split('\n').find((line) => line.startsWith('| controller (version reported) |'))!;
      const columns = [...header.matchAll(/`([^`]+)`/g)].map(([, name]) => name!).sort();
      expect(columns).toEqual(featuresBeyondCore(routes(docs)));
      expect(columns).toEqual(['HTTPRoute308RedirectStatusCode', 'HTTPRouteSchemeRedirect']);
    },
  );

  test('when it names the Gateway API release the live check installs, then it is the one versions.env pins', () => {
    const pinned = /^GATEWAY_API_VERSION=(\S+)$/m.exec(
      readFileSync(join(K8S_DIR, 'cluster', 'versions.env'), 'utf8'),
    )![1];
    expect(/pinned as `GATEWAY_API_VERSION` in\s+\S+\s+\((v[\d.]+),/.exec(page)?.[1]).toBe(pinned);
  });
});
