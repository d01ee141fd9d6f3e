import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModelNames, loadPromoted } from '../../model/src/registry';
import { K8S_DIR, REPO_DIR } from './support/render';

/**
 * components/retraining/seed-registry.js, run as the init containers run it, against a registry
 * the real training CLI made (`npm run build` first, as for the API tests).
 */
const SEED = join(K8S_DIR, 'components', 'retraining', 'seed-registry.js');
const TRAIN = join(REPO_DIR, 'dist', 'model', 'src', 'train.js');

let work: string;
let image: string;

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [script, ...args], { cwd: REPO_DIR, encoding: 'utf8' });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mlship-seed-'));
  image = join(work, 'image');
  const trained = run(TRAIN, ['--promote', '--model-dir', image]);
  if (trained.status !== 0) throw new Error(`training failed (run npm run build first): ${trained.stderr}`);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const current = (dir: string, name: string): string => readFileSync(join(dir, name, 'current'), 'utf8').trim();

test('when the volume is empty, then every promoted model of the image is seeded, verified and promoted', () => {
  const volume = join(work, 'empty');
  mkdirSync(volume);
  const seeded = run(SEED, [image, volume]);
  expect(seeded.status).toBe(0);
  const names = listModelNames(image);
  expect(names.length).toBeGreaterThan(0);
  expect(listModelNames(volume)).toEqual(names);
  for (const name of names) {
    expect(current(volume, name)).toBe(current(image, name));
    expect(loadPromoted(volume, name).sha256).toBe(loadPromoted(image, name).sha256);
    expect(seeded.stdout).toContain(`${name}: seeded ${current(image, name)}`);
  }
});

test('when the volume already serves a version, then seeding leaves it, and the Job retrains into the seeded volume', () => {
  const volume = join(work, 'promoted');
  mkdirSync(volume);
  expect(run(SEED, [image, volume]).status).toBe(0);
  const name = listModelNames(image)[0]!;
  // What a promotion by the Job looks like to the seeder: `current` names another version.
  writeFileSync(join(volume, name, 'current'), 'abcdefabcdef\n');
  const again = run(SEED, [image, volume]);
  expect(again.status).toBe(0);
  expect(again.stdout).toContain(`${name}: ${volume} already serves abcdefabcdef; left as it is`);
  expect(current(volume, name)).toBe('abcdefabcdef');
  writeFileSync(join(volume, name, 'current'), `${current(image, name)}\n`);
  const retrained = run(TRAIN, ['--promote', '--model-dir', volume]);
  expect(retrained.status).toBe(0);
  expect(current(volume, name)).toBe(current(image, name));
});

test('when several pods seed one volume at once, then each succeeds and nothing half-written remains', async () => {
  const volume = join(work, 'race');
  mkdirSync(volume);
  const exits = await Promise.all(
    Array.from({ length: 4 }, () => new Promise<number | null>((done) => spawn(process.execPath, [SEED, image, volume], { stdio: 'ignore' }).on('exit', done))),
  );
  expect(exits).toEqual([0, 0, 0, 0]);
  for (const name of listModelNames(image)) {
    expect(loadPromoted(volume, name).version).toBe(current(image, name));
    expect(readdirSync(join(volume, name)).filter((entry) => entry.startsWith('.'))).toEqual([]);
  }
});

test('when the image has no promoted model, then the seed exits 1 with one line', () => {
  const empty = join(work, 'no-models');
  mkdirSync(empty);
  const result = run(SEED, [empty, join(work, 'unused')]);
  expect(result.status).toBe(1);
  expect(result.stderr.trim()).toBe(`seed-registry: ${empty} has no promoted model to seed from`);
});
