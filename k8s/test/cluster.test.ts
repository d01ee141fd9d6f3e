/**
 * The real cluster's scripts (k8s/cluster), without starting a cluster: that takes root and
 * minutes, and is `npx tsx k8s/cluster/cluster-check.ts`'s job. Here: the versions are pinned in
 * one file and every address is inside 198.18.0.0/15; shellcheck; `up` refuses in one line before
 * it changes anything; `down` without a cluster has nothing to do; the teardown's iptables batch
 * removes only the chains up added. The check's objects and address arithmetic: cluster-check.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inRange } from '../cluster/check-network';
import { ROOT } from '../../scripts/support/repo-root';

const CLUSTER = join(__dirname, '..', 'cluster');
const files = readdirSync(CLUSTER).filter((name) => /\.(sh|env|yaml|ts|c)$/.test(name));
const scripts = files.filter((name) => name.endsWith('.sh'));
const versions = Object.fromEntries(
  readFileSync(join(CLUSTER, 'versions.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=') as [string, string]),
);
const isRoot = process.getuid?.() === 0;

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mlship-cluster-test-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory of stand-in commands (name → bash body), put first on PATH. */
function fakeBin(commands: Record<string, string>): string {
  const bin = join(scratch, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(commands)) {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number; lines: string[] } {
  const result = spawnSync('/bin/bash', [join(CLUSTER, script), ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      MLSHIP_CLUSTER_RUN: join(scratch, 'run'),
      MLSHIP_CLUSTER_CACHE: join(scratch, 'cache'),
      ...env,
    },
  });
  return { status: result.status ?? 1, lines: `${result.stdout}${result.stderr}`.split('\n').filter(Boolean) };
}

describe('pinned versions and addresses', () => {
  test('when a script or the check names a version, then it is one of versions.env only', () => {
    const pinned = [
      versions.KUBERNETES_VERSION,
      versions.KUBERNETES_STAGING_VERSION,
      versions.ETCD_VERSION,
      versions.KUBE_ROUTER_VERSION,
    ].map((v) => v!.replace(/^v/, ''));
    const elsewhere = files
      .filter((name) => name !== 'versions.env')
      .flatMap((name) => {
        const text = readFileSync(join(CLUSTER, name), 'utf8');
        return pinned.filter((version) => text.includes(version)).map((version) => `${name}: ${version}`);
      });
    expect(elsewhere).toEqual([]);
  });

  test('when any file of k8s/cluster writes an IPv4 address, then it is in 198.18.0.0/15 or on loopback', () => {
    const outside = files.flatMap((name) => {
      const found = readFileSync(join(CLUSTER, name), 'utf8').match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? [];
      return found
        .filter((ip) => !inRange(ip, '198.18.0.0/15') && !inRange(ip, '127.0.0.0/8') && ip !== '0.0.0.0')
        .map((ip) => `${name}: ${ip}`);
    });
    expect(outside).toEqual([]);
  });

  test('when package.json runs the cluster, then cluster:up and cluster:down call up.sh and down.sh', () => {
    const { scripts: npm } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect([npm['cluster:up'], npm['cluster:down']]).toEqual(['bash k8s/cluster/up.sh', 'bash k8s/cluster/down.sh']);
  });
});

describe('shellcheck', () => {
  const available = spawnSync('shellcheck', ['--version']).status === 0;
  (available || process.env.CI === 'true' ? test : test.skip)(
    'when shellcheck reads every script with its sourced parts, then it has no finding',
    () => {
      expect(() => execFileSync('shellcheck', ['-x', ...scripts], { cwd: CLUSTER, encoding: 'utf8' })).not.toThrow();
    },
  );
});

describe('up refuses in one line before changing anything', () => {
  const refuses = (result: { status: number; lines: string[] }, pattern: RegExp): void => {
    expect(result.lines).toEqual([expect.stringMatching(pattern)]);
    expect(result.status).toBe(2);
    expect(existsSync(join(scratch, 'run'))).toBe(false);
    expect(existsSync(join(scratch, 'cache'))).toBe(false);
  };

  test('when the system is not Linux, then it says so', () => {
    refuses(
      runScript('up.sh', [], { PATH: `${fakeBin({ uname: 'echo Darwin' })}:${process.env.PATH}` }),
      /^cluster: needs Linux \(this is Darwin\)$/,
    );
  });

  test('when the user is not root, then it says so', () => {
    refuses(
      runScript('up.sh', [], { PATH: `${fakeBin({ id: 'echo 1000' })}:${process.env.PATH}` }),
      /^cluster: needs root/,
    );
  });

  test('when a cluster is already up in the run folder, then it says so', () => {
    const bin = fakeBin({ id: 'echo 0' });
    const result = spawnSync(
      'bash',
      ['-c', `mkdir -p "$MLSHIP_CLUSTER_RUN/baseline" && bash ${join(CLUSTER, 'up.sh')}`],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, MLSHIP_CLUSTER_RUN: join(scratch, 'run') },
      },
    );
    expect(`${result.stdout}${result.stderr}`.trim()).toMatch(
      /^cluster: a cluster is already up in .*\(npm run cluster:down first\)$/,
    );
    expect(result.status).toBe(2);
  });

  describe('when one of its ports is taken', () => {
    let server: Server;
    beforeEach(
      () =>
        new Promise<void>((resolve) => {
          server = createServer().listen(20257, '127.0.0.1', resolve); // KCM_PORT in lib.sh
        }),
    );
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test('then it names the port', () => {
      refuses(
        runScript('up.sh', [], { PATH: `${fakeBin({ id: 'echo 0' })}:${process.env.PATH}` }),
        /^cluster: ports in use: 20257 /,
      );
    });
  });

  test('when a cold build needs Go and none is on PATH, then it says so', () => {
    // A PATH of only the tools up's preflight runs: no go.
    const bin = fakeBin({ id: 'echo 0' });
    for (const tool of ['bash', 'date', 'dirname', 'uname', 'ss', 'awk', 'sort', 'head']) {
      const found = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      symlinkSync(found, join(bin, tool));
    }
    refuses(
      runScript('up.sh', [], { PATH: bin }),
      new RegExp(
        `^cluster: Go >= ${versions.GO_MIN_VERSION!.replace('.', '\\.')} is needed to build kube-apiserver .* ` +
          `kube-router metrics-server kustomize \\(no go on PATH\\)$`,
      ),
    );
  });

  test('when a cold build needs a Go older than the pinned Kubernetes accepts, then it says so', () => {
    const bin = fakeBin({ id: 'echo 0', go: 'echo "go version go1.19.13 linux/amd64"' });
    refuses(
      runScript('up.sh', [], { PATH: `${bin}:${process.env.PATH}` }),
      new RegExp(`^cluster: Go 1\\.19\\.13 is older than ${versions.GO_MIN_VERSION!.replace('.', '\\.')}`),
    );
  });

  (isRoot && spawnSync('unshare', ['--version']).status === 0 ? test : test.skip)(
    'when /sys/fs/cgroup holds no cgroup controllers, then it says the setup is unsupported',
    () => {
      const up = join(CLUSTER, 'up.sh');
      const result = spawnSync(
        'unshare',
        ['-m', 'bash', '-c', `mount --make-rprivate / && mount -t tmpfs none /sys/fs/cgroup && bash ${up}`],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            MLSHIP_CLUSTER_RUN: join(scratch, 'run'),
            MLSHIP_CLUSTER_CACHE: join(scratch, 'cache'),
          },
        },
      );
      expect(`${result.stdout}${result.stderr}`.trim()).toMatch(
        /^cluster: cgroup setup unsupported: .*\(missing: cpu cpuacct cpuset memory devices freezer pids\)$/,
      );
      expect(result.status).toBe(2);
    },
  );
});

describe('down and load-image without a cluster', () => {
  test('when no cluster is up, then down has nothing to do and exits 0, twice', () => {
    for (let i = 0; i < 2; i++)
      expect(runScript('down.sh', [])).toEqual({
        status: 0,
        lines: [expect.stringMatching(/^cluster: nothing to do \(no cluster in .*\)$/)],
      });
  });

  test('when no cluster is up, then load-image refuses in one line', () => {
    expect(runScript('load-image.sh', ['mlship-api:local'])).toEqual({
      status: 2,
      lines: [expect.stringMatching(/^cluster: no cluster is up in /)],
    });
  });
});

describe('the teardown of iptables', () => {
  test('when up added chains and jumps to them, then down removes exactly those and keeps the host own', () => {
    const baseline = join(scratch, 'baseline');
    mkdirSync(baseline);
    writeFileSync(
      join(baseline, 'chains-iptables'),
      ['filter FORWARD', 'filter INPUT', 'filter KUBE-OLD', 'nat POSTROUTING'].join('\n') + '\n',
    );
    const save = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':KUBE-OLD - [0:0]',
      ':KUBE-FORWARD - [0:0]',
      ':KUBE-ROUTER-INPUT - [0:0]',
      '-A INPUT -m comment --comment "kube-router netpol" -j KUBE-ROUTER-INPUT',
      '-A INPUT -j KUBE-OLD',
      '-A INPUT -s 192.0.2.9/32 -j ACCEPT',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A KUBE-FORWARD -j ACCEPT',
      'COMMIT',
      '*nat',
      ':POSTROUTING ACCEPT [0:0]',
      '-A POSTROUTING -j MASQUERADE',
      'COMMIT',
    ].join('\n');
    const bin = fakeBin({
      'iptables-save':
        `table=""; [ "$1" = -t ] && table="$2"\ncat <<'EOF' | awk -v t="$table" '/^\\*/ { cur = ` +
        `substr($1, 2) } t == "" || cur == t'\n${save}\nEOF`,
      'iptables-restore': `cat >>"${join(scratch, 'restored')}"`,
    });
    const result = spawnSync(
      'bash',
      [
        '-c',
        `. ${join(CLUSTER, 'lib.sh')} && . ${join(CLUSTER, 'host.sh')} && BASELINE=${baseline} && restore_iptables ` +
          `iptables`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      },
    );
    expect(result.status).toBe(0);
    expect(readFileSync(join(scratch, 'restored'), 'utf8').trim().split('\n')).toEqual([
      '*filter',
      '-D INPUT -m comment --comment "kube-router netpol" -j KUBE-ROUTER-INPUT',
      '-D FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-F KUBE-FORWARD',
      '-F KUBE-ROUTER-INPUT',
      '-X KUBE-FORWARD',
      '-X KUBE-ROUTER-INPUT',
      'COMMIT',
    ]);
  });
});
