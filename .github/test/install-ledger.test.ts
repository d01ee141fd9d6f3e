import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstallLedger } from '../scripts/pipeline/install-ledger';

/** The twin's record of install steps: within a run, and `npm ci` across runs in one checkout. */
describe('InstallLedger', () => {
  let checkout: string;
  const NPM_CI = 'npm ci --no-audit --no-fund';
  const APT = 'sudo apt-get update -qq && sudo apt-get install -y jq';

  beforeEach(() => {
    checkout = mkdtempSync(join(tmpdir(), 'ledger-'));
    writeFileSync(join(checkout, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    mkdirSync(join(checkout, 'node_modules'));
  });
  afterEach(() => rmSync(checkout, { recursive: true, force: true }));

  it('remembers any install within a run', () => {
    const ledger = new InstallLedger();
    expect(ledger.doneBy(checkout, APT)).toBeUndefined();
    ledger.record(checkout, APT, 'job lint of run 1');
    ledger.record(checkout, NPM_CI, 'job lint of run 1');
    expect(ledger.doneBy(checkout, APT)).toBe('job lint of run 1');
    expect(ledger.doneBy(checkout, NPM_CI)).toBe('job lint of run 1');
    expect(ledger.doneBy(join(checkout, 'other'), NPM_CI)).toBeUndefined();
  });

  it('remembers npm ci in a later run while the lockfile and node_modules are unchanged, and nothing else', () => {
    new InstallLedger().record(checkout, NPM_CI, 'job kind of run 1');
    new InstallLedger().record(checkout, APT, 'job kind of run 1');
    const later = new InstallLedger();
    expect(later.doneBy(checkout, NPM_CI)).toBe('job kind of run 1');
    expect(later.doneBy(checkout, APT)).toBeUndefined();
  });

  it('forgets npm ci when the lockfile changed', () => {
    new InstallLedger().record(checkout, NPM_CI, 'run 1');
    writeFileSync(join(checkout, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {}}\n');
    expect(new InstallLedger().doneBy(checkout, NPM_CI)).toBeUndefined();
  });

  it('forgets npm ci when node_modules is gone, and records nothing without it', () => {
    new InstallLedger().record(checkout, NPM_CI, 'run 1');
    rmSync(join(checkout, 'node_modules'), { recursive: true });
    expect(new InstallLedger().doneBy(checkout, NPM_CI)).toBeUndefined();
    new InstallLedger().record(checkout, NPM_CI, 'run 2');
    mkdirSync(join(checkout, 'node_modules'));
    expect(new InstallLedger().doneBy(checkout, NPM_CI)).toBeUndefined();
  });
});
