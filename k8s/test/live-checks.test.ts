import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readDocPage } from '../../scripts/test/doc-pages';
import { ALL_CHECKS } from '../cluster/live/all-checks';
import type { LiveCheck } from '../cluster/live/context';
import { loadChecks } from '../cluster/live/run';

/**
 * The live checks (k8s/cluster/live/checks) as docs/kubernetes.md lists them: one table row per
 * check module, in the order they run, with nothing listed that does not run. Needs no cluster.
 */
describe('the live checks and docs/kubernetes.md', () => {
  it('runs every module of the checks folder', () => {
    const dir = join(__dirname, '..', 'cluster', 'live', 'checks');
    const modules = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- each module, as the folder holds it
      .map((file) => (require(join(dir, file)) as { check: LiveCheck }).check);
    expect(new Set(ALL_CHECKS)).toEqual(new Set(modules));
  });

  it('lists every check, in the order deploy-check.ts runs them', () => {
    const checks = loadChecks();
    const page = readDocPage(join('docs', 'kubernetes.md'));
    const table = page.slice(page.indexOf('| check | what it proves on the real cluster |'));
    const listed = [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map(([, name]) => name);
    expect(checks.length).toBeGreaterThan(0);
    expect(listed).toEqual(checks.map((check) => check.name));
  });

  it('gives every check its own name and order', () => {
    const checks = loadChecks();
    expect(new Set(checks.map((check) => check.name)).size).toBe(checks.length);
    expect(new Set(checks.map((check) => check.order)).size).toBe(checks.length);
  });

  it('refuses an unknown check name in one message that lists the real ones', () => {
    expect(() => loadChecks(['no-such-check'])).toThrow(
      /no live check named no-such-check \(there are: pod-security, /,
    );
  });
});
