import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exportVerified,
  formatProvenance,
  lineageMismatches,
  parseProvenance,
  registryProvenance,
} from '../src/provenance';
import { listFiles, runCli, tempDir } from './helpers';

const TRAIN = 'model/src/train.js';
const REGISTRY = 'model/src/registry-cli.js';

/** A registry with M1 and M2 trained and promoted, shared by the tests (they copy it before changing it). */
let registry: string;
beforeAll(() => {
  registry = tempDir('mlship-prov-');
  expect(runCli(TRAIN, ['--model', 'M1', '--model', 'M2', '--promote', '--model-dir', registry]).code).toBe(0);
});

function copyOf(dir: string): string {
  const copy = join(tempDir('mlship-prov-copy-'), 'registry');
  cpSync(dir, copy, { recursive: true });
  return copy;
}

function currentOf(dir: string, name: string): string {
  return readFileSync(join(dir, name, 'current'), 'utf8').trim();
}

describe('registry provenance', () => {
  test(
    'when a registry is promoted, then provenance lists each model with version, sha256, data sha256 and ' +
      'accuracy, as one JSON line',
    () => {
      const result = runCli(REGISTRY, ['provenance', '--model-dir', registry]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      const models = parseProvenance(result.stdout, 'stdout');
      expect(models.map((m) => m.name)).toEqual(['M1', 'M2']);
      const artifact = JSON.parse(readFileSync(join(registry, 'M1', currentOf(registry, 'M1'), 'model.json'), 'utf8'));
      expect(models[0]).toEqual({
        name: 'M1',
        version: artifact.version,
        sha256: artifact.sha256,
        dataSha256: artifact.dataset.sha256,
        accuracy: artifact.scores.accuracy,
      });
    },
  );

  test('when one byte of a promoted model.json changes, then verify exits 2 with one line naming the file', () => {
    const dir = copyOf(registry);
    const file = join(dir, 'M1', currentOf(dir, 'M1'), 'model.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        /"mean": \[(\s*)(-?)(\d)/,
        (_m, s: string, sign: string, d: string) => `"mean": [${s}${sign}${(Number(d) + 1) % 10}`,
      ),
    );
    const result = runCli(REGISTRY, ['verify', '--model-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`${file}: sha256 mismatch`)]);
  });

  test('when a version is copied under another model name, then it is refused as not what its directory says', () => {
    const dir = copyOf(registry);
    const m2 = currentOf(dir, 'M2');
    cpSync(join(dir, 'M2', m2), join(dir, 'M1', m2), { recursive: true });
    writeFileSync(join(dir, 'M1', 'current'), `${m2}\n`);
    expect(() => registryProvenance(dir)).toThrow(/records M2@.*but sits in/);
  });

  test('when metrics.json belongs to another model, then verification names metrics.json', () => {
    const dir = copyOf(registry);
    const [m1, m2] = [currentOf(dir, 'M1'), currentOf(dir, 'M2')];
    cpSync(join(dir, 'M2', m2, 'metrics.json'), join(dir, 'M1', m1, 'metrics.json'));
    expect(() => registryProvenance(dir)).toThrow(/M1\/[0-9a-f]{12}\/metrics\.json: describes M2@/);
  });

  test('when the registry is empty, then provenance exits 2 saying how to make one', () => {
    const result = runCli(REGISTRY, ['provenance', '--model-dir', tempDir()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: no promoted model in .*npm run train -- --promote/);
  });
});

describe('registry export (what the image build runs)', () => {
  test('when the registry matches the expected provenance, then only the promoted versions are copied', () => {
    const dir = copyOf(registry);
    // An older, unpromoted version must not ship.
    expect(runCli(TRAIN, ['--model', 'M1', '--model-dir', dir]).code).toBe(0);
    cpSync(join(dir, 'M1', currentOf(dir, 'M1')), join(dir, 'M1', 'aaaaaaaaaaaa'), { recursive: true });
    const out = join(tempDir(), 'out');
    const expected = registryProvenance(dir);
    const result = runCli(REGISTRY, ['export', out, '--model-dir', dir, '--expect', formatProvenance(expected)]);
    expect(result.code).toBe(0);
    expect(listFiles(out)).toEqual(
      ['M1', 'M2']
        .flatMap((name) => {
          const v = currentOf(dir, name);
          return [
            `${name}/${v}/metrics.json`,
            `${name}/${v}/model-card.md`,
            `${name}/${v}/model.json`,
            `${name}/current`,
            `${name}/history`,
          ];
        })
        .sort(),
    );
    expect(formatProvenance(registryProvenance(out))).toBe(formatProvenance(expected));
  });

  test('when the expected provenance names another version, then export refuses and writes nothing', () => {
    const expected = registryProvenance(registry).map((m) => (m.name === 'M2' ? { ...m, version: '000000000000' } : m));
    const out = join(tempDir(), 'out');
    expect(() => exportVerified(registry, out, expected)).toThrow(/is not the one MODEL_PROVENANCE records/);
    expect(listFiles(out)).toEqual([]);
  });

  test('when MODEL_PROVENANCE is empty, then export exits 2 saying how to compute it', () => {
    const result = runCli(REGISTRY, ['export', join(tempDir(), 'out'), '--model-dir', registry, '--expect', '']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/export needs --expect.*npm run -s registry -- provenance/);
  });

  test('when MODEL_PROVENANCE is not provenance JSON, then export exits 2 with one line', () => {
    const result = runCli(REGISTRY, [
      'export',
      join(tempDir(), 'out'),
      '--model-dir',
      registry,
      '--expect',
      '[{"name":"M1"}]',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: MODEL_PROVENANCE: 0\.version/);
  });
});

describe('lineage', () => {
  const expected = [
    { name: 'M1', version: 'aaaaaaaaaaaa', sha256: 'a'.repeat(64), dataSha256: 'd'.repeat(64), accuracy: 0.9 },
    { name: 'M2', version: 'bbbbbbbbbbbb', sha256: 'b'.repeat(64), dataSha256: 'd'.repeat(64), accuracy: 0.9 },
  ];

  test('when every served model has the recorded version and sha256, then there is no mismatch', () => {
    expect(lineageMismatches(expected, [{ name: 'M1', version: 'aaaaaaaaaaaa', sha256: 'a'.repeat(64) }])).toEqual([]);
  });

  test('when a served model differs in version, sha256 or is not recorded, then each gets its own line', () => {
    expect(
      lineageMismatches(expected, [
        { name: 'M1', version: 'cccccccccccc', sha256: 'a'.repeat(64) },
        { name: 'M2', version: 'bbbbbbbbbbbb', sha256: 'c'.repeat(64) },
        { name: 'M3', version: 'dddddddddddd', sha256: 'd'.repeat(64) },
      ]),
    ).toEqual([
      'M1: serves version cccccccccccc, recorded aaaaaaaaaaaa',
      `M2@bbbbbbbbbbbb: serves sha256 ${'c'.repeat(64)}, recorded ${'b'.repeat(64)}`,
      'M3: served, but not in the recorded models (M1, M2)',
    ]);
  });

  test(
    'when the API serves every promoted model, then a recorded model it does not serve is a mismatch; with a ' +
      'MODELS list it is not',
    () => {
      const onlyM1 = [{ name: 'M1', version: 'aaaaaaaaaaaa', sha256: 'a'.repeat(64) }];
      expect(lineageMismatches(expected, onlyM1, true)).toEqual([
        'M2@bbbbbbbbbbbb: recorded, but not served by an API that serves every promoted model (M1)',
      ]);
      expect(lineageMismatches(expected, onlyM1, false)).toEqual([]);
      expect(
        lineageMismatches(expected, [...onlyM1, { name: 'M2', version: 'bbbbbbbbbbbb', sha256: 'b'.repeat(64) }], true),
      ).toEqual([]);
    },
  );

  test('when the API reports no sha256 or no model, then the lineage fails', () => {
    expect(lineageMismatches(expected, [{ name: 'M1', version: 'aaaaaaaaaaaa' }])).toEqual([
      `M1@aaaaaaaaaaaa: serves sha256 (none reported), recorded ${'a'.repeat(64)}`,
    ]);
    expect(lineageMismatches(expected, [])).toEqual(['the API reports no served model']);
  });
});
