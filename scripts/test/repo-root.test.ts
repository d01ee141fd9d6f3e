import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/repo-root';

describe('repository root', () => {
  test("when the shared root is read, then it is the folder of mlship's package.json and jest.config.js", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('mlship');
    expect(readFileSync(join(ROOT, 'jest.config.js'), 'utf8')).toContain(
      "globalSetup: '<rootDir>/scripts/jest-build.js'",
    );
  });
});
