import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NginxOptions } from '../nginx/render';
import { DEFAULT_NGINX_OPTIONS, renderNginxConfig } from '../nginx/render';
import { ROOT } from '../../scripts/support/repo-root';

const hasNginx = spawnSync('sh', ['-c', 'command -v nginx && command -v openssl']).status === 0;

function options(overrides: Partial<NginxOptions> = {}): NginxOptions {
  return { ...DEFAULT_NGINX_OPTIONS, ...overrides };
}

describe('renderNginxConfig', () => {
  test('when rendered with the defaults, then no placeholder is left and the contract ports are used', () => {
    const conf = renderNginxConfig(options());
    expect(conf).not.toMatch(/\$\{[A-Z]/);
    expect(conf).toMatch(/listen 127\.0\.0\.1:8443 ssl;/);
    expect(conf).toMatch(/listen 127\.0\.0\.1:8080;/);
    for (const port of [8001, 8002, 8003, 8004]) expect(conf).toContain(`server 127.0.0.1:${port} `);
  });

  test('when rendered, then TLS is 1.2+ and a dead replica is retried, POST included', () => {
    const conf = renderNginxConfig(options());
    expect(conf).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(conf).toMatch(/proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;/);
    expect(conf).toMatch(/keepalive \d+;/);
    expect(conf).toMatch(/limit_req_status 429;/);
  });

  test('when the canary is 0, 30 or 100 percent, then the split sends that share to v2', () => {
    expect(renderNginxConfig(options({ canaryPercent: 0 }))).toMatch(
      /split_clients "\$request_id" \$mlship_canary \{\s*\* mlship_v1;\s*\}/,
    );
    expect(renderNginxConfig(options({ canaryPercent: 30 }))).toMatch(/30% mlship_v2;\s*\* mlship_v1;/);
    expect(renderNginxConfig(options({ canaryPercent: 100 }))).toMatch(/\{\s*\* mlship_v2;\s*\}/);
  });

  test('when edge auth is off, then no auth_basic; when on, then the user file is named', () => {
    expect(renderNginxConfig(options())).not.toMatch(/^\s*auth_basic /m);
    expect(renderNginxConfig(options({ edgeAuthFile: '/etc/nginx/htpasswd' }))).toMatch(
      /auth_basic_user_file \/etc\/nginx\/htpasswd;/,
    );
  });

  test.each([
    [{ canaryPercent: 101 }, /canary percent/],
    [{ canaryPercent: 2.5 }, /canary percent/],
    [{ v1Servers: [] }, /at least one v1/],
    [{ v2Servers: ['127.0.0.1'] }, /not host:port/],
    [{ httpsPort: 70000 }, /bad port/],
    [{ accessLog: '/tmp/a; b' }, /unsafe path/],
  ] as Array<[Partial<NginxOptions>, RegExp]>)('when given %o, then one clear error', (bad, message) => {
    expect(() => renderNginxConfig(options(bad))).toThrow(message);
  });

  test('when the template has a placeholder the renderer does not know, then it says which', () => {
    expect(() => renderNginxConfig(options(), 'worker_processes ${NOPE};')).toThrow(/\$\{NOPE\}/);
  });

  (hasNginx ? test : test.skip)('when nginx -t checks every variant, then it accepts them without warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlship-nginx-'));
    try {
      for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub));
      expect(spawnSync('bash', [join(ROOT, 'docker/nginx/make-cert.sh'), join(dir, 'certs')]).status).toBe(0);
      writeFileSync(join(dir, 'htpasswd'), 'alice:$apr1$abcdefgh$0000000000000000000000\n');
      const local = {
        tlsCert: 'certs/tls.crt',
        tlsKey: 'certs/tls.key',
        accessLog: 'logs/access.log',
        tempDir: 'tmp',
        workerProcesses: 1 as const,
      };
      for (const variant of [{}, { canaryPercent: 25 }, { canaryPercent: 100, edgeAuthFile: 'htpasswd' }]) {
        writeFileSync(join(dir, 'nginx.conf'), renderNginxConfig(options({ ...local, ...variant })));
        const result = spawnSync(
          'nginx',
          [
            '-t',
            '-p',
            `${dir}/`,
            '-c',
            join(dir, 'nginx.conf'),
            '-e',
            join(dir, 'logs/error.log'),
            '-g',
            `pid ${join(dir, 'nginx.pid')};`,
          ],
          { encoding: 'utf8' },
        );
        expect(result.stderr).toMatch(/test is successful/);
        expect(result.stderr).not.toMatch(/\[warn\]/);
        expect(result.status).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
