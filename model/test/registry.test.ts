import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeArtifact } from '../src/artifact';
import { loadIris } from '../src/dataset';
import { ArtifactError, InputError } from '../src/errors';
import { loadModelConfigs } from '../src/algorithms/configs';
import { currentVersion, listModelNames, listVersions, loadPromoted, promote, rollback } from '../src/registry';
import { trainModel } from '../src/training';
import { ROOT, tempDir } from './helpers';

const config = loadModelConfigs(`${ROOT}/model/models.json`).M1!;
const iris = loadIris();
const first = trainModel(iris, 'M1', config);
const second = trainModel(iris, 'M1', { ...config, seed: 7 });

function registryWithBoth(): string {
  const dir = tempDir();
  writeArtifact(dir, first, 'card');
  writeArtifact(dir, second, 'card');
  return dir;
}

describe('model registry', () => {
  test('when nothing is promoted, then loading names the missing current file', () => {
    const dir = registryWithBoth();
    expect(currentVersion(dir, 'M1')).toBeUndefined();
    expect(() => loadPromoted(dir, 'M1')).toThrow(ArtifactError);
    expect(() => loadPromoted(dir, 'M1')).toThrow(`${join(dir, 'M1', 'current')}: no promoted version`);
  });

  test('when versions are promoted in turn and rolled back, then current follows the history', () => {
    const dir = registryWithBoth();
    expect(listModelNames(dir)).toEqual(['M1']);
    expect(listVersions(dir, 'M1')).toEqual([first.version, second.version].sort());
    promote(dir, 'M1', first.version);
    promote(dir, 'M1', second.version);
    expect(loadPromoted(dir, 'M1').version).toBe(second.version);
    expect(rollback(dir, 'M1')).toBe(first.version);
    expect(readFileSync(join(dir, 'M1', 'current'), 'utf8')).toBe(`${first.version}\n`);
    expect(() => rollback(dir, 'M1')).toThrow(InputError);
  });

  test('when promoting a version that does not exist, then it refuses and current is unchanged', () => {
    const dir = registryWithBoth();
    promote(dir, 'M1', first.version);
    expect(() => promote(dir, 'M1', 'abcdefabcdef')).toThrow(ArtifactError);
    expect(currentVersion(dir, 'M1')).toBe(first.version);
  });

  test('when a name or version is malformed, then it is an input error, never a path outside the registry', () => {
    const dir = registryWithBoth();
    expect(() => promote(dir, '../etc', first.version)).toThrow(InputError);
    expect(() => promote(dir, 'M1', '../../x')).toThrow(InputError);
  });
});
