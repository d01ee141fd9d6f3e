import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../scripts/support/repo-root';
import { offlineBaseImage } from '../base-image/names';

describe('docker/base-image/build.sh', () => {
  test('when checked by bash -n, then it and the runtime rootfs script parse', () => {
    expect(spawnSync('bash', ['-n', join(ROOT, 'docker/base-image/build.sh')]).status).toBe(0);
    expect(spawnSync('bash', ['-n', join(ROOT, 'docker/base-image/runtime-rootfs.sh')]).status).toBe(0);
  });

  test('when given an unknown option, then it exits 2 with one line naming the options', () => {
    const result = spawnSync('bash', [join(ROOT, 'docker/base-image/build.sh'), '--runtim'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'build.sh: unknown option --runtim (use --if-missing, --runtime, --print-name)',
    ]);
  });

  describe('when the scripts that build an image change', () => {
    let dir: string;
    // A copy of the two scripts, and a docker client that knows one image: the one in $PRESENT.
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlship-base-image-'));
      for (const file of ['build.sh', 'runtime-rootfs.sh'])
        copyFileSync(join(ROOT, 'docker/base-image', file), join(dir, file));
      writeFileSync(join(dir, 'docker'), '#!/bin/sh\n[ "$1 $2" = "image inspect" ] && [ "$3" = "$PRESENT" ]\n', {
        mode: 0o755,
      });
      // Where a build gets that far, it stops at once instead of running debootstrap.
      writeFileSync(join(dir, 'debootstrap'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    // Without the caller's BASE_IMAGE and RUNTIME_IMAGE: a name given there replaces the recipe's
    // (as .ci/run gives one to the suites it runs), and these tests are about the recipe's.
    const { BASE_IMAGE: _base, RUNTIME_IMAGE: _runtime, ...callerEnv } = process.env;
    const build = (args: string[], env: Record<string, string> = {}) =>
      spawnSync('bash', [join(dir, 'build.sh'), ...args], {
        encoding: 'utf8',
        env: { ...callerEnv, DOCKER: join(dir, 'docker'), PATH: `${dir}:${process.env.PATH}`, ...env },
      });
    const nameOf = (...args: string[]) => build(['--print-name', ...args]).stdout.trim();

    test('then the tag changes with them: runtime-rootfs.sh names a new runtime and leaves the base as it was', () => {
      const [base, runtime] = [nameOf(), nameOf('--runtime')];
      expect(base).toMatch(/^mlship-base:bookworm-node24-[0-9a-f]{12}$/);
      expect(runtime).toMatch(/^mlship-runtime:bookworm-node24-[0-9a-f]{12}$/);
      appendFileSync(join(dir, 'runtime-rootfs.sh'), '# one more line\n');
      expect(nameOf()).toBe(base);
      expect(nameOf('--runtime')).not.toBe(runtime);
      expect(nameOf('--runtime')).toMatch(/^mlship-runtime:bookworm-node24-[0-9a-f]{12}$/);
    });

    test('then a setting it is built with changes the tag too', () => {
      expect(nameOf('--runtime')).not.toBe(
        build(['--print-name', '--runtime'], { KEEP_NODE_SYMBOLS: '1' }).stdout.trim(),
      );
      expect(nameOf()).not.toBe(build(['--print-name'], { NPM_MAJOR: '10' }).stdout.trim());
    });

    test('then --if-missing skips the image the same scripts name and builds when they changed', () => {
      const present = nameOf('--runtime');
      const same = build(['--if-missing', '--runtime'], { PRESENT: present });
      expect(same.status).toBe(0);
      expect(same.stdout.trim()).toBe(`image ${present} already present`);
      appendFileSync(join(dir, 'runtime-rootfs.sh'), '# librt, say\n');
      const changed = build(['--if-missing', '--runtime'], { PRESENT: present });
      expect(changed.stdout).toContain(`building ${nameOf('--runtime')}`);
      expect(changed.stdout).not.toContain('already present');
    });
  });

  test(
    'when the runtime links busybox applets, ' +
      'then they are the ones compose and the e2e harness run in the container',
    () => {
      const script = readFileSync(join(ROOT, 'docker/base-image/runtime-rootfs.sh'), 'utf8');
      const applets = /^for applet in ([\w ]+); do ln -sf busybox/m.exec(script)?.[1]?.split(' ') ?? [];
      const compose = readFileSync(join(ROOT, 'docker/compose.yaml'), 'utf8');
      const command = /^\s+command: (\["sh", "-c", .*\])$/m.exec(compose)?.[1] ?? '';
      const e2e = readFileSync(join(ROOT, 'docker/e2e/e2e.ts'), 'utf8');
      const execs = [...e2e.matchAll(/docker\(\['exec', [^,]+, '([\w-]+)'/g)].map((m) => m[1]);
      const needed = new Set(['sh', ...[...command.matchAll(/\$\(([\w-]+) /g)].map((m) => m[1]!), ...execs]);
      expect([...needed].sort()).toEqual(['cat', 'id', 'sh', 'touch']);
      expect(applets.sort()).toEqual([...needed].sort());
    },
  );
});

describe('docker/base-image/names.ts', () => {
  test('when asked for the offline bases, then it names what build.sh --print-name prints', () => {
    const printed = (...args: string[]) =>
      spawnSync('bash', [join(ROOT, 'docker/base-image/build.sh'), '--print-name', ...args], {
        encoding: 'utf8',
      }).stdout.trim();
    expect(offlineBaseImage('base')).toBe(printed());
    expect(offlineBaseImage('runtime')).toBe(printed('--runtime'));
  });
});
