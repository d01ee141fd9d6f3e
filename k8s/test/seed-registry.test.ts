import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModelNames, loadPromoted } from '../../model/src/registry';
import { K8S_DIR, ROOT } from './support/render';

/**
 * components/retraining/seed-registry.js, run as the init containers run it, against a registry
 * the real training CLI made (`npm run build` first, as for the API tests).
 */
const SEED = join(K8S_DIR, 'components', 'retraining', 'seed-registry.js');
const TRAIN = join(ROOT, 'dist', 'model', 'src', 'train.js');
/** Where the volume records the image registry it was last seeded from. */
const SEEDED_FROM = 'seeded-from.json';

let work: string;
let image: string;

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: 'utf8' });
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

test(
  'when the volume already serves a version, then seeding leaves it, ' + 'and the Job retrains into the seeded volume',
  () => {
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
  },
);

test('when several pods seed one volume at once, then each succeeds and nothing half-written remains', async () => {
  const volume = join(work, 'race');
  mkdirSync(volume);
  const exits = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<number | null>((done) =>
          spawn(process.execPath, [SEED, image, volume], { stdio: 'ignore' }).on('exit', done),
        ),
    ),
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

describe("when the image's models change (a new release, or a rollback to an older image)", () => {
  let release: string;

  beforeAll(() => {
    // Another release: M1 trained with another seed (a new version), the other models as before.
    release = join(work, 'release');
    cpSync(image, release, { recursive: true });
    const name = listModelNames(image)[0]!;
    rmSync(join(release, name), { recursive: true });
    const models = JSON.parse(readFileSync(join(ROOT, 'model', 'models.json'), 'utf8')) as {
      models: Record<string, { seed: number }>;
    };
    models.models[name]!.seed += 1;
    writeFileSync(join(work, 'models.json'), JSON.stringify(models));
    const trained = run(TRAIN, [
      '--models',
      join(work, 'models.json'),
      '--model',
      name,
      '--promote',
      '--model-dir',
      release,
    ]);
    if (trained.status !== 0) throw new Error(`training the release failed: ${trained.stderr}`);
    expect(current(release, name)).not.toBe(current(image, name));
  });

  test(
    "then the seed replaces the volume's current with the image's, and a Job's promotion stays only while the " +
      'image is the same',
    () => {
      const volume = join(work, 'releases');
      mkdirSync(volume);
      const name = listModelNames(image)[0]!;
      expect(run(SEED, [image, volume]).status).toBe(0);
      // The Job promotes: the same image keeps it.
      writeFileSync(join(volume, name, 'current'), 'abcdefabcdef\n');
      expect(run(SEED, [image, volume]).stdout).toContain(
        `${name}: ${volume} already serves abcdefabcdef; left as it is`,
      );
      // A release whose models changed: every model serves the release's version, verified.
      const upgraded = run(SEED, [release, volume]);
      expect(upgraded.status).toBe(0);
      expect(upgraded.stdout).toContain(
        `${name}: the image's models changed; ${volume} served abcdefabcdef, now serves the image's ` +
          `${current(release, name)}`,
      );
      for (const model of listModelNames(release)) {
        expect(loadPromoted(volume, model).sha256).toBe(loadPromoted(release, model).sha256);
      }
      expect(
        readFileSync(join(volume, name, 'history'), 'utf8')
          .trim()
          .split('\n')
          .at(-1),
      ).toBe(current(release, name));
      // The Job promotes under the release: kept while the release is the image.
      writeFileSync(join(volume, name, 'current'), 'abcdefabcdef\n');
      expect(run(SEED, [release, volume]).stdout).toContain(
        `${name}: ${volume} already serves abcdefabcdef; left as it is`,
      );
      // A rollback to the older image: its models again.
      expect(run(SEED, [image, volume]).status).toBe(0);
      for (const model of listModelNames(image))
        expect(loadPromoted(volume, model).sha256).toBe(loadPromoted(image, model).sha256);
    },
  );

  test('then several pods reseeding one volume at once each succeed and leave nothing half-written', async () => {
    const volume = join(work, 'reseed-race');
    mkdirSync(volume);
    expect(run(SEED, [image, volume]).status).toBe(0);
    const exits = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<number | null>((done) =>
            spawn(process.execPath, [SEED, release, volume], { stdio: 'ignore' }).on('exit', done),
          ),
      ),
    );
    expect(exits).toEqual([0, 0, 0, 0]);
    for (const name of listModelNames(release)) {
      expect(loadPromoted(volume, name).version).toBe(current(release, name));
      expect(readdirSync(join(volume, name)).filter((entry) => entry.startsWith('.'))).toEqual([]);
    }
    expect(readdirSync(volume).filter((entry) => entry.startsWith('.'))).toEqual([]);
  });

  test("then a volume seeded before the provenance was recorded serves the image's models too", () => {
    const volume = join(work, 'unrecorded');
    mkdirSync(volume);
    const name = listModelNames(image)[0]!;
    expect(run(SEED, [image, volume]).status).toBe(0);
    rmSync(join(volume, SEEDED_FROM));
    writeFileSync(join(volume, name, 'current'), 'abcdefabcdef\n');
    expect(run(SEED, [image, volume]).status).toBe(0);
    expect(current(volume, name)).toBe(current(image, name));
    expect(JSON.parse(readFileSync(join(volume, SEEDED_FROM), 'utf8'))).toEqual(
      listModelNames(image).map((model) => ({
        name: model,
        version: current(image, model),
        sha256: loadPromoted(image, model).sha256,
      })),
    );
  });
});
