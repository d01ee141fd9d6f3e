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
      registries?: Array<{ server: string; username?: string; passwordSecretRef?: string; identity?: string }>;
    };
    template: {
      containers: Array<{
        image: string;
        env: Array<{ name: string; value?: string; secretRef?: string }>;
        probes: Probe[];
        volumeMounts?: Array<{ volumeName: string; mountPath: string }>;
      }>;
      volumes?: Array<{ name: string; storageType: string; secrets?: Array<{ secretRef: string; path?: string }> }>;
      scale: {
        minReplicas: number;
        maxReplicas: number;
        rules: Array<{ name: string; http?: { metadata: { concurrentRequests: string } } }>;
      };
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
      ...(app.properties.configuration.registries ?? []).flatMap((r) =>
        r.passwordSecretRef ? [r.passwordSecretRef] : [],
      ),
    ];
    expect(referenced.length).toBeGreaterThan(0);
    for (const ref of referenced) expect(names.has(ref)).toBe(true);
    expect(container.env.find((e) => e.name === 'MONITORING_TOKEN')).toEqual({
      name: 'MONITORING_TOKEN',
      secretRef: 'monitoring-token',
    });
  });

  test('when read, then it never opts in to the development credentials and takes both secrets from Key Vault', () => {
    // Issue #17: the production image refuses the published users unless ALLOW_DEV_CREDENTIALS opts
    // in; the Container App is production, so it supplies real secrets instead.
    expect(container.env.map((e) => e.name)).not.toContain('ALLOW_DEV_CREDENTIALS');
    const secrets = new Map(app.properties.configuration.secrets.map((s) => [s.name, s.keyVaultUrl]));
    expect(secrets.get(container.env.find((e) => e.name === 'MONITORING_TOKEN')!.secretRef!)).toBe(
      '__KEY_VAULT_URL__/secrets/mlship-monitoring-token',
    );
    const usersFile = container.env.find((e) => e.name === 'USERS_FILE')!.value!;
    const mount = container.volumeMounts!.find((m) => usersFile.startsWith(`${m.mountPath}/`))!;
    const volume = app.properties.template.volumes!.find((v) => v.name === mount.volumeName)!;
    expect(volume.storageType).toBe('Secret');
    const item = volume.secrets!.find((i) => `${mount.mountPath}/${i.path ?? i.secretRef}` === usersFile)!;
    expect(secrets.get(item.secretRef)).toBe('__KEY_VAULT_URL__/secrets/mlship-users');
  });

  test('when read, then each private registry has credentials: a token secret for GHCR, the identity for ACR', () => {
    expect(app.properties.configuration.registries).toEqual([
      { server: 'ghcr.io', username: '__GHCR_USERNAME__', passwordSecretRef: 'ghcr-token' },
      { server: '__ACR_SERVER__', identity: '__IDENTITY_ID__' },
    ]);
    expect(app.properties.configuration.secrets.find((s) => s.name === 'ghcr-token')?.keyVaultUrl).toBe(
      '__KEY_VAULT_URL__/secrets/mlship-ghcr-token',
    );
  });

  test('when read, then env holds only API settings and PORT matches the target port', () => {
    for (const e of container.env) expect(API_ENV_KEYS.has(e.name)).toBe(true);
    expect(container.env.find((e) => e.name === 'PORT')?.value).toBe(String(API_PORT));
    expect(container.image).toBe('__IMAGE__');
  });
});

describe('deploy.sh', () => {
  const run = (args: string[], env: Record<string, string> = {}): { status: number | null; out: string } => {
    const result = spawnSync('bash', [SCRIPT, ...args], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        AZURE_RESOURCE_GROUP: 'rg-mlship',
        DEPLOY_ATTEMPT: 'a1',
        ...env,
      },
    });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
  };
  /** The YAML the script would pass to az, as printed in --dry-run mode. */
  type RenderedApp = ContainerApp & {
    properties: { configuration: { ingress: { traffic: Array<Record<string, unknown>> } } };
  };
  const renderedApp = (out: string): RenderedApp =>
    parse(
      out
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .map((l) => l.slice(2))
        .join('\n'),
    ) as RenderedApp;
  const variantOf = (out: string): string | undefined =>
    renderedApp(out).properties.template.containers[0]!.env.find((e) => e.name === 'API_VARIANT')?.value;
  const commands = (out: string): string[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('+ '))
      .map((l) => l.replace(/\\/g, ''));

  test('when shellcheck reads it, its sourced parts and the test stand-in, then it has no finding', () => {
    expect(() =>
      execFileSync('shellcheck', ['-x', SCRIPT, join(K8S_DIR, 'test', 'support', 'fake-cli.sh')], { encoding: 'utf8' }),
    ).not.toThrow();
    // The sourced parts share deploy.sh's variables, which the run above checks in context; alone,
    // each would report them as unassigned (SC2154) or unused (SC2034), and lib.sh's own source
    // as not followed (SC1091: the run above follows it).
    const parts = ['lib.sh', 'validate.sh', 'render.sh'].map((f) => join(AZURE_DIR, f));
    expect(() =>
      execFileSync('shellcheck', ['-e', 'SC2034,SC2154,SC1091', ...parts], { encoding: 'utf8' }),
    ).not.toThrow();
  });

  test('when v1 is deployed to an existing app, then it updates, waits, smoke-tests and shifts all traffic', () => {
    const { status, out } = run(['--image', DIGEST_IMAGE, '--dry-run']);
    expect(status).toBe(0);
    const steps = commands(out).map((c) => c.split(' -n ')[0]);
    expect(steps).toEqual([
      "+ az containerapp list -g rg-mlship --query [?name=='mlship'] | length(@) > `0` && 'yes' || 'no' -o tsv",
      '+ az containerapp show',
      '+ az containerapp revision list',
      '+ az containerapp update',
      '+ az containerapp revision show',
      '+ az containerapp revision show',
      '+ curl -fsS --retry 5 --retry-all-errors https://mlship--v1-cdcdcdcd-a1.example.azurecontainerapps.io/readyz ' +
        'https://mlship--v1-cdcdcdcd-a1.example.azurecontainerapps.io/status',
      '+ az containerapp ingress traffic set',
      '+ az containerapp revision label add',
      '+ az containerapp show',
      '+ curl -fsS --retry 5 --retry-all-errors https://mlship.example.azurecontainerapps.io/readyz ' +
        'https://mlship.example.azurecontainerapps.io/status',
      '+ az containerapp revision deactivate',
    ]);
    expect(out).toContain('--revision-weight mlship--v1-cdcdcdcd-a1=100 mlship--v1-previous=0');
    // The rendered YAML carries the image and pins traffic to the previous revision until healthy.
    const rendered = renderedApp(out);
    expect(rendered.properties.template.containers[0]!.image).toBe(DIGEST_IMAGE);
    expect(rendered.properties.configuration.ingress.traffic).toEqual([
      { revisionName: 'mlship--v1-previous', weight: 100, label: 'stable' },
    ]);
    expect(variantOf(out)).toBe('v1');
    expect(out).not.toMatch(/^\| .*__[A-Z_]+__/m);
  });

  test('when the app does not exist, then it is created in the environment', () => {
    const { status, out } = run(['--image', 'ghcr.io/acme/mlship:1.0.0', '--dry-run'], {
      DRY_RUN_APP_EXISTS: 'no',
      AZURE_CONTAINERAPP_ENV: 'mlship-env',
    });
    expect(status).toBe(0);
    expect(commands(out)).toContainEqual(
      expect.stringMatching(/^\+ az containerapp create -n mlship -g rg-mlship --environment mlship-env --yaml /),
    );
    expect(renderedApp(out).properties.configuration.ingress.traffic).toEqual([{ latestRevision: true, weight: 100 }]);
  });

  test('when v2 is deployed with a weight, then it gets that share and the v2 label', () => {
    const { status, out } = run(['--image', DIGEST_IMAGE, '--variant', 'v2', '--weight', '10', '--dry-run']);
    expect(status).toBe(0);
    expect(out).toContain('--revision-weight mlship--v2-cdcdcdcd-a1=10 mlship--v1-previous=90');
    expect(out).toContain('--label v2 --revision mlship--v2-cdcdcdcd-a1');
    expect(out).toContain('--label stable --revision mlship--v1-previous');
    expect(variantOf(out)).toBe('v2');
  });

  test('when the new revision is unhealthy, then no traffic moves and the new revision is deactivated', () => {
    const { status, out } = run(['--image', DIGEST_IMAGE, '--dry-run'], { DRY_RUN_HEALTH: 'Unhealthy' });
    expect(status).toBe(1);
    const cmds = commands(out);
    expect(cmds.at(-1)).toMatch(/revision deactivate .* --revision mlship--v1-cdcdcdcd-a1$/);
    expect(cmds.some((c) => c.includes('traffic set') || c.includes('label add'))).toBe(false);
  });

  test.each([
    [DIGEST_IMAGE, [], [{ server: 'ghcr.io', username: 'acme', passwordSecretRef: 'ghcr-token' }], true],
    [
      `acme.azurecr.io/mlship@sha256:${'cd'.repeat(32)}`,
      [],
      [{ server: 'acme.azurecr.io', identity: '<AZURE_IDENTITY_ID>' }],
      false,
    ],
    [DIGEST_IMAGE, ['--registry', 'public'], undefined, false],
  ])(
    'when %s is deployed with %j, then the app pulls it with the matching credentials',
    (image, extra, registries, tokenSecret) => {
      const { status, out } = run(['--image', image, ...extra, '--dry-run'], { GHCR_USERNAME: 'acme' });
      expect(status).toBe(0);
      const configuration = renderedApp(out).properties.configuration;
      expect(configuration.registries).toEqual(registries);
      expect(configuration.secrets.some((s) => s.name === 'ghcr-token')).toBe(tokenSecret);
      expect(out).not.toMatch(/^\| .*# @registry/m);
    },
  );

  test(
    'when --expect-models is given in --dry-run, ' + 'then the lineage command is printed after the revision smoke',
    () => {
      const models = '[{"name":"M1","version":"a1b2c3d4e5f6","sha256":"' + 'e'.repeat(64) + '"}]';
      const { status, out } = run(['--image', DIGEST_IMAGE, '--expect-models', models, '--dry-run']);
      expect(status).toBe(0);
      const cmds = commands(out);
      const lineage = cmds.findIndex((c) =>
        c.startsWith(
          '+ npm run -s lineage -- --url https://mlship--v1-cdcdcdcd-a1.example.azurecontainerapps.io --expected ',
        ),
      );
      expect(lineage).toBeGreaterThan(cmds.findIndex((c) => c.startsWith('+ curl')));
      expect(lineage).toBeLessThan(cmds.findIndex((c) => c.includes('traffic set')));
    },
  );

  test.each([
    [['--dry-run'], /--image is required/],
    [['--image', 'mlship', '--dry-run'], /not a tagged or digest-pinned/],
    [['--image', DIGEST_IMAGE, '--variant', 'v3', '--dry-run'], /--variant must be v1 or v2/],
    [['--image', DIGEST_IMAGE, '--variant', 'v2', '--weight', '101', '--dry-run'], /--weight must be an integer/],
    [['--image', DIGEST_IMAGE, '--bogus'], /unknown argument --bogus/],
    [['--image', DIGEST_IMAGE], /AZURE_CONTAINERAPP_ENV is not set/],
    [['--image', DIGEST_IMAGE, '--registry', 'acr', '--dry-run'], /--registry acr needs an image on <name>.azurecr.io/],
    [['--image', DIGEST_IMAGE, '--registry', 'dockerhub', '--dry-run'], /--registry must be ghcr, acr or public/],
    [['--rollback', 'mlship--v1-abc', '--image', DIGEST_IMAGE, '--dry-run'], /--rollback takes no --image/],
    [['--rollback', 'previous', '--dry-run'], /--rollback needs a revision name/],
  ])('when called with %j, then it stops with one clear line', (args, message) => {
    const { status, out } = run(args);
    expect(status).not.toBe(0);
    expect(out).toMatch(message);
  });
});
