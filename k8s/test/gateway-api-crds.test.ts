/**
 * k8s/cluster/gateway-api-crds.sh with a stand-in `go` that prints what `go mod download -json`
 * prints: the CRDs come out of the module zip into the cache folder of the pinned version, a
 * release that only asks for a newer Go is still read, any other error stops it in one line, and
 * a cached version needs no Go at all.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8S_DIR } from './support/render';

const SCRIPT = join(K8S_DIR, 'cluster', 'gateway-api-crds.sh');
const VERSION = /^GATEWAY_API_VERSION=(\S+)$/m.exec(
  readFileSync(join(K8S_DIR, 'cluster', 'versions.env'), 'utf8'),
)![1]!;
const MODULE = `sigs.k8s.io/gateway-api@${VERSION}`;

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mlship-gateway-crds-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** A module zip holding one standard CRD and one experimental one, as the real zip lays them out. */
function moduleZip(): string {
  const zip = join(scratch, 'module.zip');
  const made = spawnSync('python3', [
    '-c',
    [
      'import sys, zipfile',
      'with zipfile.ZipFile(sys.argv[1], "w") as z:',
      '    z.writestr(sys.argv[2] + "/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml", "kind: ' +
        'CustomResourceDefinition\\n")',
      '    z.writestr(sys.argv[2] + "/config/crd/experimental/gateway.networking.k8s.io_xbackends.yaml", "kind: ' +
        'CustomResourceDefinition\\n")',
    ].join('\n'),
    zip,
    MODULE,
  ]);
  expect(made.status).toBe(0);
  return zip;
}

/** A `go` that prints `fields` as go mod download -json does (tab-indented) and exits `status`. */
function fakeGo(fields: Record<string, string>, status: number): string {
  const bin = join(scratch, 'bin');
  mkdirSync(bin, { recursive: true });
  const json = `{\n${Object.entries(fields)
    .map(([key, value]) => `\t"${key}": ${JSON.stringify(value)}`)
    .join(',\n')}\n}`;
  writeFileSync(join(bin, 'go'), `#!/usr/bin/env bash\ncat <<'JSON'\n${json}\nJSON\nexit ${status}\n`);
  chmodSync(join(bin, 'go'), 0o755);
  return bin;
}

function run(bin: string): { status: number; stdout: string; stderr: string } {
  // Only the stand-in go and the system tools: never the real go of this machine.
  const result = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:/usr/bin:/bin`, MLSHIP_CLUSTER_CACHE: join(scratch, 'cache') },
  });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

describe('gateway-api-crds.sh', () => {
  test(
    'when go refuses only to unpack a release that asks for a newer Go, then the standard CRDs come from the zip ' +
      "into the version's cache folder",
    () => {
      // Go's own order: the zip is not the last field.
      const bin = fakeGo(
        {
          Path: 'sigs.k8s.io/gateway-api',
          Version: VERSION,
          Error: `${MODULE} requires go >= 1.27.0 (running go 1.26.8; GOTOOLCHAIN=local)`,
          Zip: moduleZip(),
          Sum: 'h1:duVnm7nO6oXfMMUWfcDoBph47CYR/ME3NGxccOVglaY=',
        },
        1,
      );
      const result = run(bin);
      const folder = join(scratch, 'cache', `gateway-api-${VERSION}`);
      expect(result).toEqual({ status: 0, stdout: `${folder}\n`, stderr: '' });
      expect(readdirSync(folder)).toEqual(['gateway.networking.k8s.io_httproutes.yaml']);
      expect(readdirSync(join(scratch, 'cache')).filter((name) => name.startsWith('.'))).toEqual([]);
    },
  );

  test('when go mod download fails otherwise, then one line names the error and nothing is cached', () => {
    const bin = fakeGo(
      {
        Path: 'sigs.k8s.io/gateway-api',
        Version: VERSION,
        Error: `${MODULE}: verifying module: checksum mismatch`,
        Zip: moduleZip(),
      },
      1,
    );
    const result = run(bin);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`cluster: go mod download ${MODULE}: ${MODULE}: verifying module: checksum mismatch\n`);
    expect(existsSync(join(scratch, 'cache', `gateway-api-${VERSION}`))).toBe(false);
  });

  test('when the version is cached, then no go is needed and the folder is printed', () => {
    const folder = join(scratch, 'cache', `gateway-api-${VERSION}`);
    mkdirSync(folder, { recursive: true });
    const result = run(join(scratch, 'empty-bin'));
    expect(result).toEqual({ status: 0, stdout: `${folder}\n`, stderr: '' });
  });

  test('when nothing is cached and there is no go, then it refuses in one line with exit 2', () => {
    const result = run(join(scratch, 'empty-bin'));
    expect(result).toEqual({
      status: 2,
      stdout: '',
      stderr: `cluster: go is needed to fetch sigs.k8s.io/gateway-api@${VERSION} from the Go module proxy\n`,
    });
  });
});
