import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { parse } from 'yaml';
import { SERVER_NODE_FLAGS } from '../../loadtest/src/runner/processes';
import { ROOT } from '../../scripts/support/repo-root';

const dockerfile = readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8');

function installed(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

describe('docker/Dockerfile', () => {
  // hadolint (tools/test/lint-tools.test.ts) is the linter; dockerfile-utils stays for what hadolint
  // 2.15 lets through (tried on a probe Dockerfile): lowercase instructions, empty continuation
  // lines and an invalid STOPSIGNAL.
  test('when checked with dockerfile-utils for what hadolint does not check, then it reports no problem', () => {
    const problems = validate(dockerfile).map(
      (d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
    );
    expect(problems).toEqual([]);
  });

  test(
    'when read, then the build stages start from NODE_IMAGE (with npm) and the runtime from RUNTIME_IMAGE, both ' +
      'overridable',
    () => {
      expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
      expect(dockerfile).toMatch(/^ARG RUNTIME_IMAGE=node:24-bookworm-slim$/m);
      const froms = [...dockerfile.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => `${m[2]}<-${m[1]}`);
      expect(froms).toEqual(['deps<-${NODE_IMAGE}', 'build<-deps', 'runtime<-${RUNTIME_IMAGE}']);
    },
  );

  test("when read, then V8's code cache is written in the runtime stage, by the node that will read it", () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/node dist\/api\/server\.js --write-code-cache$/m);
    expect(dockerfile).not.toMatch(/^COPY .*\.v8cache/m);
  });

  test('when read, then the runtime stage is non-root, exposes 8000 and has a Node healthcheck', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER \d+:\d+$/m);
    expect(runtime).not.toMatch(/^USER 0/m);
    expect(runtime).toMatch(/^EXPOSE 8000$/m);
    expect(runtime).toMatch(/CMD \["node", "-e"/);
    expect(runtime).toMatch(/NODE_ENV=production/);
  });

  test(
    "when read, then the image warms V8's code cache under the very flags it runs with, which are npm start's " +
      "and the load tests'",
    () => {
      const runtimeFlags = /^ENV NODE_OPTIONS="([^"]+)"$/m.exec(
        dockerfile.slice(dockerfile.indexOf('AS runtime')),
      )?.[1];
      const warm = /NODE_OPTIONS="([^"]+)" .*\n\s*node dist\/api\/server\.js --write-code-cache$/m.exec(dockerfile);
      const start = (
        JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
      ).scripts.start!;
      const startFlags = /&& node ([^&]*) dist\/api\/server\.js/.exec(start)?.[1];
      expect(runtimeFlags).toBeDefined();
      expect(warm?.[1]).toBe(runtimeFlags);
      expect(startFlags).toBe(runtimeFlags);
      expect(SERVER_NODE_FLAGS.join(' ')).toBe(runtimeFlags);
    },
  );

  test('when npm needs a CA bundle, then it comes from an optional BuildKit secret, never a COPY', () => {
    expect(dockerfile).toMatch(/--mount=type=secret,id=npm_ca,required=false/);
    expect(dockerfile).not.toMatch(/^(COPY|ADD) .*(\.crt|\.pem|npmrc)/m);
  });
});

describe('.hadolint.yaml', () => {
  test('when it ignores a rule, then a comment gives the reason', () => {
    const lines = readFileSync(join(ROOT, '.hadolint.yaml'), 'utf8').split('\n');
    const ignored = lines.filter((l) => /^\s*-\s*(DL|SC)\d+/.test(l));
    for (const line of ignored) expect(line).toMatch(/#\s*\S+/);
  });
});

describe('.dockerignore', () => {
  test('when read, then it allow-lists the context, lets the gated registry in and keeps tests and secrets out', () => {
    const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    expect(rules).toEqual(
      expect.arrayContaining(['!package.json', '!package-lock.json', '!model/', '**/test/', '**/.env']),
    );
    // model/artifacts is the documented path of the registry the image ships.
    expect(rules.filter((r) => r.startsWith('model/artifacts'))).toEqual([]);
  });
});

describe('docker/compose.yaml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker/compose.yaml'), 'utf8'), { merge: true }) as {
    name?: string;
    services: Record<
      string,
      {
        network_mode?: string;
        read_only?: boolean;
        user?: string;
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
        profiles?: string[];
      }
    >;
  };

  test(
    'when parsed, then it has no top-level name (docker-compose ' + '1.29) and every service uses host networking',
    () => {
      expect(compose.name).toBeUndefined();
      for (const [name, service] of Object.entries(compose.services))
        expect([name, service.network_mode]).toEqual([name, 'host']);
    },
  );

  test('when parsed, then three v1 replicas and one v2 replica run read-only as non-root on the contract ports', () => {
    const apis = Object.entries(compose.services).filter(([name]) => name.startsWith('api-'));
    expect(apis.map(([, s]) => `${s.environment?.PORT}/${s.environment?.API_VARIANT}`).sort()).toEqual([
      '8001/v1',
      '8002/v1',
      '8003/v1',
      '8004/v2',
    ]);
    for (const [, s] of apis) {
      expect(s.read_only).toBe(true);
      expect(s.user).not.toMatch(/^0/);
    }
  });

  test('when a service waits for another, then it waits for health, never a sleep', () => {
    for (const service of Object.values(compose.services)) {
      for (const dep of Object.values(service.depends_on ?? {})) expect(dep.condition).toBe('service_healthy');
    }
    expect(compose.services.tests?.profiles).toEqual(['tests']);
  });

  const composeBin = installed('docker-compose') ? ['docker-compose'] : null;
  (composeBin ? test : test.skip)('when docker-compose config reads it, then it is accepted', () => {
    const result = spawnSync(
      composeBin![0]!,
      ['-f', join(ROOT, 'docker/compose.yaml'), '--profile', 'tests', 'config', '--quiet'],
      { encoding: 'utf8' },
    );
    expect(result.stderr.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('docker/smoke/smoke.ts', () => {
  test('when read, then it imports only node: builtins (Node 24 runs it directly in the tests service)', () => {
    const source = readFileSync(join(ROOT, 'docker/smoke/smoke.ts'), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.every((i) => i!.startsWith('node:'))).toBe(true);
  });
});

describe('docker/nginx/make-cert.sh', () => {
  (installed('openssl') ? test : test.skip)(
    'when run twice, then it makes a localhost certificate once and keeps it',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mlship-cert-'));
      try {
        expect(spawnSync('bash', [join(ROOT, 'docker/nginx/make-cert.sh'), dir]).status).toBe(0);
        const first = readFileSync(join(dir, 'tls.crt'), 'utf8');
        expect(spawnSync('bash', [join(ROOT, 'docker/nginx/make-cert.sh'), dir]).status).toBe(0);
        expect(readFileSync(join(dir, 'tls.crt'), 'utf8')).toBe(first);
        const text = spawnSync('openssl', ['x509', '-in', join(dir, 'tls.crt'), '-noout', '-ext', 'subjectAltName'], {
          encoding: 'utf8',
        }).stdout;
        expect(text).toMatch(/DNS:localhost/);
        expect(text).toMatch(/IP Address:127\.0\.0\.1/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
