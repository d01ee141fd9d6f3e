import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readArtifact, serialize, writeArtifact } from '../src/artifact';
import { canonicalJson, sha256 } from '../src/canonical';
import { loadIris } from '../src/dataset';
import { ArtifactError } from '../src/errors';
import { renderModelCard } from '../src/model-card';
import { loadModelConfigs } from '../src/algorithms/configs';
import { trainModel } from '../src/training';
import { ROOT, tempDir } from './helpers';

const artifact = trainModel(loadIris(), 'M1', loadModelConfigs(`${ROOT}/model/models.json`).M1!);

function written(): string {
  const dir = tempDir();
  return join(writeArtifact(dir, artifact, renderModelCard(artifact)), 'model.json');
}

describe('artifact files', () => {
  test('when written, then the three files are in <dir>/<name>/<version>/ and nothing is left staged', () => {
    const dir = tempDir();
    const versionDir = writeArtifact(dir, artifact, renderModelCard(artifact));
    expect(versionDir).toBe(join(dir, 'M1', artifact.version));
    expect(readdirSync(versionDir).sort()).toEqual(['metrics.json', 'model-card.md', 'model.json']);
    expect(readdirSync(join(dir, 'M1'))).toEqual([artifact.version]);
  });

  test('when read back, then it verifies and equals what was written', () => {
    expect(readArtifact(written())).toEqual(JSON.parse(serialize(artifact)));
  });

  test('when sealed, then sha256 covers the canonical content and the version derives from it', () => {
    const { sha256: recorded, ...content } = artifact;
    expect(recorded).toBe(sha256(canonicalJson(content)));
    const { version, ...unversioned } = content;
    expect(version).toBe(sha256(canonicalJson(unversioned)).slice(0, 12));
  });

  test('when the same version is written again, then the existing files are left untouched', () => {
    const dir = tempDir();
    const first = writeArtifact(dir, artifact, 'card');
    const before = readFileSync(join(first, 'model-card.md'), 'utf8');
    writeArtifact(dir, artifact, 'another card');
    expect(readFileSync(join(first, 'model-card.md'), 'utf8')).toBe(before);
  });

  test('when the file is missing, then the error names the file', () => {
    expect(() => readArtifact('/nonexistent/model.json')).toThrow('/nonexistent/model.json: file not found');
  });

  test('when the file is truncated, then a typed error names the file and says it is not valid JSON', () => {
    const file = written();
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length / 2));
    expect(() => readArtifact(file)).toThrow(ArtifactError);
    expect(() => readArtifact(file)).toThrow(`${file}: not valid JSON`);
  });

  test('when one value is edited, then the sha256 check fails and says so', () => {
    const file = written();
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    parsed.hyperparameters.k = 99;
    writeFileSync(file, JSON.stringify(parsed));
    expect(() => readArtifact(file)).toThrow(/sha256 mismatch/);
  });

  test('when one bit is flipped, then loading fails with an ArtifactError', () => {
    const file = written();
    const bytes = readFileSync(file);
    const at = bytes.indexOf('"accuracy"') + 14;
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(file, bytes);
    expect(() => readArtifact(file)).toThrow(ArtifactError);
  });

  test('when the format id is wrong, then the error names the format found and the one expected', () => {
    const file = written();
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    parsed.format = 'something-else/v9';
    writeFileSync(file, JSON.stringify(parsed));
    expect(() => readArtifact(file)).toThrow(/wrong format "something-else\/v9"; expected "mlship.knn-model\/v1"/);
  });

  test('when the JSON is not an object, then it is refused as not an artifact', () => {
    const file = written();
    writeFileSync(file, '[1,2,3]');
    expect(() => readArtifact(file)).toThrow(/not a model artifact/);
    expect(existsSync(file)).toBe(true);
  });
});
