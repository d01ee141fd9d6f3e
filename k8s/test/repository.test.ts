import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { readGroups, renderPrometheusRule, ruleFiles } from '../scripts/prometheus-rule';
import { IMAGE_MODEL_DIR } from './support/contract';
import { K8S_DIR, kubectlPath, ROOT } from './support/render';

/** Every YAML file under k8s/ (the real secret files are never YAML). */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'test' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

describe('committed secrets', () => {
  test('when the k8s tree is scanned, then no committed manifest is a Secret', () => {
    const secrets = yamlFiles(K8S_DIR).filter((file) =>
      parseAllDocuments(readFileSync(file, 'utf8')).some(
        (doc) => (doc.toJS() as { kind?: string } | null)?.kind === 'Secret',
      ),
    );
    expect(secrets.map((f) => relative(ROOT, f))).toEqual([]);
  });

  test('when the example secret file is read, then it holds placeholders only', () => {
    const env = readFileSync(join(K8S_DIR, 'base', 'secrets', 'secrets.example.env'), 'utf8');
    for (const line of env.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) {
      expect(line).toMatch(/^[A-Z_]+=change-me[a-z-]*$/);
    }
  });

  test("when kind's development credentials are read, then they are the API's documented ones and nothing else", () => {
    const dir = join(K8S_DIR, 'overlays', 'kind', 'dev-credentials');
    expect(readFileSync(join(dir, 'users.dev.txt'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'api', 'users.dev.txt'), 'utf8'),
    );
    const env = readFileSync(join(dir, 'monitoring.env'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(env).toEqual(['MONITORING_TOKEN=dev-monitoring-token']);
  });

  test('when git looks at the real secret files, then it ignores them', () => {
    const ignored = execFileSync(
      'git',
      ['check-ignore', '--no-index', 'k8s/base/secrets/secrets.env', 'k8s/base/secrets/users.txt'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(ignored.trim().split('\n')).toEqual(['k8s/base/secrets/secrets.env', 'k8s/base/secrets/users.txt']);
  });
});

describe('generated PrometheusRule', () => {
  const target = join(K8S_DIR, 'components', 'monitoring', 'prometheusrule.yaml');

  test('when prometheus/rules is compared with the component, then they are in sync', () => {
    // An empty rules directory is tolerated (the monitoring issue may land later); a stale file is not.
    expect(readFileSync(target, 'utf8')).toBe(renderPrometheusRule(join(ROOT, 'prometheus', 'rules'), ROOT));
  });

  test('when the rule files have groups, then every group reaches the PrometheusRule unchanged', () => {
    const files = ruleFiles(join(ROOT, 'prometheus', 'rules'));
    const rule = parse(readFileSync(target, 'utf8')) as { spec: { groups: unknown[] } };
    expect(rule.spec.groups).toEqual(readGroups(files));
  });

  test(
    'when two files define the same group or a file is not a rule file, ' + 'then generation stops with the file name',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mlship-rules-'));
      try {
        writeFileSync(join(dir, 'a.yml'), 'groups:\n  - name: g\n    rules: []\n');
        writeFileSync(join(dir, 'b.yml'), 'groups:\n  - name: g\n    rules: []\n');
        expect(() => renderPrometheusRule(dir, dir)).toThrow(/b\.yml: group "g" is also in .*a\.yml/);
        writeFileSync(join(dir, 'b.yml'), 'scrape_configs: []\n');
        expect(() => renderPrometheusRule(dir, dir)).toThrow(/b\.yml: no "groups" list/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('kind-cluster.yaml', () => {
  interface KindCluster {
    kind: string;
    apiVersion: string;
    nodes: Array<{
      role: string;
      extraPortMappings?: Array<{ containerPort: number; hostPort: number; listenAddress?: string }>;
    }>;
  }
  const cluster = parse(readFileSync(join(K8S_DIR, 'kind-cluster.yaml'), 'utf8')) as KindCluster;

  test('when read, then it maps the NodePort and the ingress ports to the loopback only', () => {
    expect([cluster.kind, cluster.apiVersion]).toEqual(['Cluster', 'kind.x-k8s.io/v1alpha4']);
    const mappings = cluster.nodes.flatMap((n) => n.extraPortMappings ?? []);
    expect(mappings.map((m) => m.containerPort).sort((a, b) => a - b)).toEqual([80, 443, 30080]);
    expect(mappings.find((m) => m.containerPort === 30080)?.hostPort).toBe(30080);
    for (const m of mappings) expect(m.listenAddress).toBe('127.0.0.1');
  });
});

describe('base deployments', () => {
  type Labels = Record<string, string>;
  interface PodSpec {
    topologySpreadConstraints: { labelSelector: { matchLabels: Labels } }[];
    containers: { env: { name: string; value?: string }[] }[];
  }
  interface Deployment {
    metadata: { name: string; labels: Labels };
    spec: {
      replicas?: number;
      selector: { matchLabels: Labels };
      template: { metadata: { labels: Labels }; spec: PodSpec };
    };
  }
  const rendered = (): Deployment[] =>
    parseAllDocuments(execFileSync(kubectlPath(), ['kustomize', join(K8S_DIR, 'base')], { encoding: 'utf8' }))
      .map((doc) => doc.toJS() as Deployment & { kind: string })
      .filter((o) => o.kind === 'Deployment');

  test(
    'when the base is rendered, then api-v2 is api with only its name, ' + 'instance, variant and replicas changed',
    () => {
      const deployments = rendered();
      const v1 = deployments.find((d) => d.metadata.name === 'api')!;
      const v2 = deployments.find((d) => d.metadata.name === 'api-v2')!;
      const expected = structuredClone(v1);
      expected.metadata.name = 'api-v2';
      for (const labels of [
        expected.metadata.labels,
        expected.spec.selector.matchLabels,
        expected.spec.template.metadata.labels,
      ]) {
        labels['app.kubernetes.io/instance'] = 'api-v2';
        if (labels['mlship.io/variant']) labels['mlship.io/variant'] = 'v2';
      }
      for (const constraint of expected.spec.template.spec.topologySpreadConstraints)
        constraint.labelSelector.matchLabels['app.kubernetes.io/instance'] = 'api-v2';
      expected.spec.template.spec.containers[0]!.env[0] = { name: 'API_VARIANT', value: 'v2' };
      expected.spec.replicas = 2;
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['api', 'api-v2']);
      expect(v2).toEqual(expected);
    },
  );

  test('when api-v2 is rendered, then nothing in it still selects or labels the v1 pods', () => {
    const v2 = rendered().find((d) => d.metadata.name === 'api-v2');
    expect(JSON.stringify(v2)).not.toMatch(/"app\.kubernetes\.io\/instance":"api"/);
  });
});

describe('component READMEs', () => {
  const components = readdirSync(join(K8S_DIR, 'components')).filter((c) =>
    statSync(join(K8S_DIR, 'components', c)).isDirectory(),
  );

  test.each(components)(
    'when %s is read, then its README says what it adds, what it needs and how to enable it',
    (component) => {
      const readme = readFileSync(join(K8S_DIR, 'components', component, 'README.md'), 'utf8');
      for (const heading of ['## What it adds', '## What it needs in the cluster', '## How to enable it'])
        expect(readme).toContain(heading);
      expect(readme).toContain(`- ../../components/${component}`);
    },
  );
});

describe('image registry', () => {
  test('when the Dockerfile sets MODEL_DIR, then it is the directory the manifests serve from', () => {
    const dockerfile = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(new RegExp(`MODEL_DIR=${IMAGE_MODEL_DIR.replace(/\//g, '\\/')}\\b`));
  });
});
