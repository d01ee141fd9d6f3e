import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/support/repo-root';

export { ROOT };

/** The virtual environment `npm run tools:install` creates from requirements-tools.txt. */
export const VENV_BIN = join(ROOT, '.venv-tools', 'bin');
export const INSTALL_HINT = 'run npm run tools:install';

/** The path of a tool in .venv-tools/bin, or undefined when it is not installed. */
export function venvTool(name: string): string | undefined {
  const path = join(VENV_BIN, name);
  return existsSync(path) ? path : undefined;
}

/**
 * Declares a suite that needs `tools` from .venv-tools. On a developer machine without them it is
 * one skipped test that says how to install them; under CI (CI=true), where .ci/run installs them,
 * a missing tool is a failing test, never a silent skip.
 */
export function describeWithTools(title: string, tools: string[], body: (paths: Record<string, string>) => void): void {
  const found = Object.fromEntries(tools.map((name) => [name, venvTool(name)]));
  const missing = tools.filter((name) => !found[name]);
  describe(title, () => {
    if (missing.length > 0 && process.env.CI !== 'true') {
      // Skipped only on a developer machine without the venv, saying how to get it; under CI the
      // tests run and fail on the missing tool instead.
      test.skip(`${missing.join(', ')} not installed in .venv-tools, skipping (${INSTALL_HINT})`, () => undefined);
      return;
    }
    test(`when the suite runs, then .venv-tools has ${tools.join(', ')}`, () => {
      expect(missing.map((name) => `${name} missing: ${INSTALL_HINT}`)).toEqual([]);
    });
    if (missing.length === 0) body(found as Record<string, string>);
  });
}
