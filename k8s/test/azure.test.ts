import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { API_ENV_KEYS, API_PORT, LIVENESS_PATH, READINESS_PATH, UNAUTHENTICATED_GET_ROUTES } from './support/contract';
import { K8S_DIR } from './support/render';

const AZURE_DIR = join(K8S_DIR, 'azure');
const SCRIPT = join(AZURE_DIR, 'deploy.sh');
const DIGEST_IMAGE = `ghcr.io/acme/mlship@sha256:${'cd'.repeat(32)}`;

interface Probe {
  type: string;
  httpGet: { path: string; port: number };
}
interface ContainerApp {
  properties: {
    configuration: {
      activeRevisionsMode: string;
      ingress: { external: boolean; targetPort: number; traffic: Array<{ weight: number }> };
      secrets: Array<{ name: string; keyVaultUrl?: string; identity?: string; value?: string }>;
    };
    template: {
      containers: Array<{ image: string; env: Array<{ name: string; value?: string; secretRef?: string }>; probes: Probe[]; volumeMounts?: Array<{ volumeName: string }> }>;
      volumes?: Array<{ name: string; storageType: string; secrets?: Array<{ secretRef: string }> }>;
      scale: { minReplicas: number; maxReplicas: number; rules: Array<{ name: string; http?: { metadata: { concurrentRequests: string } } }> };
    };
  };
}

const app = parse(readFileSync(join(AZURE_DIR, 'containerapp.yaml'), 'utf8')) as ContainerApp;
const container = app.properties.template.containers[0]!;

describe('containerapp.yaml', () => {
  test('when read, then it has external ingress to the API port in multiple-revision mode', () => {
    expect(app.properties.configuration.ingress).toMatchObject({ external: true, targetPort: API_PORT });
    expect(app.properties.configuration.activeRevisionsMode).toBe('Multiple');
    expect(app.properties.configuration.ingress.traffic.reduce((sum, t) => sum + t.weight, 0)).toBe(100);
  });

  test('when read, then startup, liveness and readiness probes use the contract paths on the API port', () => {
    const byType = Object.fromEntries(container.probes.map((p) => [p.type, p.httpGet]));
    expect(Object.keys(byType).sort()).toEqual(['Liveness', 'Readiness', 'Startup']);
    expect(byType.Liveness).toEqual({ path: LIVENESS_PATH, port: API_PORT });
    expect(byType.Readiness).toEqual({ path: READINESS_PATH, port: API_PORT });
    expect(UNAUTHENTICATED_GET_ROUTES.has(byType.Startup!.path)).toBe(true);
    expect(byType.Startup!.port).toBe(API_PORT);
  });

  test('when read, then it scales from 1 to 10 replicas on concurrent requests', () => {
    const scale = app.properties.template.scale;
    expect([scale.minReplicas, scale.maxReplicas]).toEqual([1, 10]);
    expect(scale.rules.map((r) => Number(r.http?.metadata.concurrentRequests))).toEqual([10]);
  });

  test('when read, then secrets are Key Vault references used through secretRef, never values', () => {
    const secrets = app.properties.configuration.secrets;
    for (const secret of secrets) {
      expect(secret.value).toBeUndefined();
      expect(secret.keyVaultUrl).toMatch(/^__KEY_VAULT_URL__\/secrets\/[a-z0-9-]+$/);
      expect(secret.identity).toBe('__IDENTITY_ID__');
    }
    const names = new Set(secrets.map((s) => s.name));
    const referenced = [
      ...container.env.filter((e) => e.secretRef).map((e) => e.secretRef!),
      ...(app.properties.template.volumes ?? []).flatMap((v) => (v.secrets ?? []).map((s) => s.secretRef)),
    ];
    expect(referenced.length).toBeGreaterThan(0);
    for (const ref of referenced) expect(names.has(ref)).toBe(true);
    expect(container.env.find((e) => e.name === 'MONITORING_TOKEN')).toEqual({ name: 'MONITORING_TOKEN', secretRef: 'monitoring-token' });
  });

  test('when read, then env holds only API settings and PORT matches the target port', () => {
    for (const e of container.env) expect(API_ENV_KEYS.has(e.name)).toBe(true);
    expect(container.env.find((e) => e.name === 'PORT')?.value).toBe(String(API_PORT));
    expect(container.image).toBe('__IMAGE__');
  });
});

describe('deploy.sh', () => {
  const run = (args: string[], env: Record<string, string> = {}): { status: number | null; out: string } => {
    const result = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AZURE_RESOURCE_GROUP: 'rg-mlship', ...env } });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
  };
  /** The YAML the script would pass to az, as printed in --dry-run mode. */
  type RenderedApp = ContainerApp & { properties: { configuration: { ingress: { traffic: Array<Record<string, unknown>> } } } };
  const renderedApp = (out: string): RenderedApp =>
    parse(out.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.slice(2)).join('\n')) as RenderedApp;
  const variantOf = (out: string): string | undefined => renderedApp(out).properties.template.containers[0]!.env.find((e) => e.name === 'API_VARIANT')?.value;
  const commands = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('+ ')).map((l) => l.replace(/\\/g, ''));

  test('when shellcheck reads it, then it has no finding', () => {
    expect(() => execFileSync('shellcheck', [SCRIPT], { encoding: 'utf8' })).not.toThrow();
  });

  test('when v1 is deployed to an existing app, then it updates, waits, smoke-tests and shifts all traffic', () => {
    const { status, out } = run(['--image', DIGEST_IMAGE, '--dry-run']);
    expect(status).toBe(0);
    const steps = commands(out).map((c) => c.split(' -n ')[0]);
    expect(steps).toEqual([
      '+ az containerapp list -g rg-mlship --query [?name==\'mlship\'] | length(@) > `0` && \'yes\' || \'no\' -o tsv',
      '+ az containerapp revision list',
      '+ az containerapp update',
      '+ az containerapp revision show',
      '+ az containerapp revision show',
      '+ curl -fsS --retry 5 --retry-all-errors https://mlship--v1-cdcdcdcdcdcd.example.azurecontainerapps.io/readyz https://mlship--v1-cdcdcdcdcdcd.example.azurecontainerapps.io/status',
      '+ az containerapp ingress traffic set',
      '+ az containerapp revision label add',
      '+ az containerapp show',
      '+ curl -fsS --retry 5 --retry-all-errors https://mlship.example.azurecontainerapps.io/readyz https://mlship.example.azurecontainerapps.io/status',
    ]);
    expect(out).toContain('--revision-weight mlship--v1-cdcdcdcdcdcd=100');
    // The rendered YAML carries the image and pins traffic to the previous revision until healthy.
    const rendered = renderedApp(out);
    expect(rendered.properties.template.containers[0]!.image).toBe(DIGEST_IMAGE);
    expect(rendered.properties.configuration.ingress.traffic).toEqual([{ revisionName: 'mlship--v1-previous', weight: 100 }]);
    expect(variantOf(out)).toBe('v1');
    expect(out).not.toMatch(/^\| .*__[A-Z_]+__/m);
  });

  test('when the app does not exist, then it is created in the environment', () => {
    const { status, out } = run(['--image', 'ghcr.io/acme/mlship:1.0.0', '--dry-run'], { DRY_RUN_APP_EXISTS: 'no', AZURE_CONTAINERAPP_ENV: 'mlship-env' });
    expect(status).toBe(0);
    expect(commands(out)).toContainEqual(expect.stringMatching(/^\+ az containerapp create -n mlship -g rg-mlship --environment mlship-env --yaml /));
    expect(renderedApp(out).properties.configuration.ingress.traffic).toEqual([{ latestRevision: true, weight: 100 }]);
  });

  test('when v2 is deployed with a weight, then it gets that share and the v2 label', () => {
    const { status, out } = run(['--image', DIGEST_IMAGE, '--variant', 'v2', '--weight', '10', '--dry-run']);
    expect(status).toBe(0);
    expect(out).toContain('--revision-weight mlship--v1-previous=90 mlship--v2-cdcdcdcdcdcd=10');
    expect(out).toContain('--label v2 --revision mlship--v2-cdcdcdcdcdcd');
    expect(variantOf(out)).toBe('v2');
  });

  test('when the new revision is unhealthy, then traffic goes back and the revision is deactivated', () => {
    const { status, out } = run(['--image', DIGEST_IMAGE, '--dry-run'], { DRY_RUN_HEALTH: 'Unhealthy' });
    expect(status).toBe(1);
    const cmds = commands(out);
    expect(cmds.at(-2)).toMatch(/ingress traffic set .* --revision-weight mlship--v1-previous=100$/);
    expect(cmds.at(-1)).toMatch(/revision deactivate .* --revision mlship--v1-cdcdcdcdcdcd$/);
    expect(cmds.some((c) => c.includes('label add'))).toBe(false);
  });

  test.each([
    [['--dry-run'], /--image is required/],
    [['--image', 'mlship', '--dry-run'], /not a tagged or digest-pinned/],
    [['--image', DIGEST_IMAGE, '--variant', 'v3', '--dry-run'], /--variant must be v1 or v2/],
    [['--image', DIGEST_IMAGE, '--variant', 'v2', '--weight', '101', '--dry-run'], /--weight must be an integer/],
    [['--image', DIGEST_IMAGE, '--bogus'], /unknown argument --bogus/],
    [['--image', DIGEST_IMAGE], /AZURE_CONTAINERAPP_ENV is not set/],
  ])('when called with %j, then it stops with one clear line', (args, message) => {
    const { status, out } = run(args);
    expect(status).not.toBe(0);
    expect(out).toMatch(message);
  });
});
