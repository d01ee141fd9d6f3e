import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInputOf, readArtifact, serialize } from '../../../artifact';
import { loadCsv } from '../../../dataset';
import type { ModelConfig } from '../../../model-config';
import { trainModel } from '../../../training';
import { loadTrainingData } from '../../../training-data';
import { ROOT, tempDir } from '../../../../test/helpers';
import { loadModelConfigs } from '../../configs';
import { onnx } from '..';
import { onnxSha256, OnnxSession } from '../session';
import { classifierSignature } from '../signature';

const MODELS_FILE = join(ROOT, 'model/models.json');
const EXAMPLE = 'model/examples/penguins-onnx/model.onnx';
const configs = loadModelConfigs(MODELS_FILE);
const onnxNames = Object.keys(configs).filter((name) => configs[name]!.algorithm === 'onnx');
const datasets = loadTrainingData(MODELS_FILE, configs, onnxNames);

describe.each(onnxNames)('the ONNX model %s of models.json', (name) => {
  const config = configs[name]!;
  const data = datasets.get(name)!;
  const artifact = trainModel(data, name, config, MODELS_FILE);

  test(
    'when it is evaluated, then the artifact embeds the file, ' +
      'records its sha256 and scores it on the held-out split',
    () => {
      const bytes = readFileSync(join(ROOT, config.file as string));
      expect(artifact.algorithm).toBe('onnx');
      expect(artifact.hyperparameters).toMatchObject({
        file: config.file,
        sha256: onnxSha256(bytes),
        signature: { input: 'features', inputType: 'float32', label: 'label', probabilities: 'probabilities' },
      });
      expect(Buffer.from((artifact.model as { bytes: string }).bytes, 'base64').equals(bytes)).toBe(true);
      expect(artifact.split.testRows).toBe(artifact.scores.testRows);
      expect(artifact.scores.accuracy).toBeGreaterThanOrEqual(config.gate.minAccuracy);
    },
  );

  test('when it is evaluated twice, then the artifact is the same, version and sha256 included', () => {
    expect(trainModel(data, name, config, MODELS_FILE)).toEqual(artifact);
  });

  test("when rows come laid end to end (the batch thread), then the labels are predict's", () => {
    const predictor = onnx.load(loadInputOf(artifact) as Parameters<typeof onnx.load>[0]);
    const labels = new Int32Array(data.X.length);
    predictor.predictFlat(new Float64Array(data.X.flat()), labels);
    expect([...labels]).toEqual(data.X.map((row) => predictor.predict(row)));
    expect(data.X.map((row) => predictor.explain(row).label)).toEqual([...labels]);
  });

  test('when the embedded bytes differ from the recorded sha256, then loading refuses them', () => {
    const input = loadInputOf(artifact) as Parameters<typeof onnx.load>[0];
    const bytes = Buffer.from(input.model.bytes, 'base64');
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    expect(() => onnx.load({ ...input, model: { ...input.model, bytes: bytes.toString('base64') } })).toThrow(
      /embedded ONNX file hashes to .*, the artifact records/,
    );
  });

  test('when one character of the embedded file is changed in model.json, then reading the artifact refuses it', () => {
    const file = join(tempDir('mlship-onnx-'), 'model.json');
    const text = serialize(artifact);
    const at = text.indexOf('"bytes": "') + 20;
    writeFileSync(file, text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
    expect(() => readArtifact(file)).toThrow(/sha256 mismatch/);
  });
});

describe('an ONNX entry that does not fit its data', () => {
  const base = { ...configs.M4!, algorithm: 'onnx', file: EXAMPLE } as ModelConfig;
  const penguins = datasets.get('M4')!;
  const train = (data = penguins, config: ModelConfig = base): unknown => trainModel(data, 'X', config, MODELS_FILE);

  test('when the file is missing, then training names it and where it looked', () => {
    expect(() => train(penguins, { ...base, file: 'model/examples/none.onnx' })).toThrow(
      /model\/examples\/none\.onnx: not found \(looked for .*none\.onnx\)/,
    );
  });

  test('when the file is not ONNX, then training says onnxruntime cannot load it', () => {
    const dir = tempDir('mlship-onnx-');
    writeFileSync(join(dir, 'bad.onnx'), 'not a model');
    expect(() => train(penguins, { ...base, file: join(dir, 'bad.onnx') })).toThrow(
      /bad\.onnx: onnxruntime cannot load it/,
    );
  });

  test('when the data has another number of features, then training names the input and the count', () => {
    const fewer = {
      ...penguins,
      featureNames: penguins.featureNames.slice(0, 3),
      X: penguins.X.map((row) => row.slice(0, 3)),
    };
    expect(() => train(fewer)).toThrow(/input features float32 \[\?, 4\]: expected float32 or float64 \[rows, 3\]/);
  });

  test("when the data's class names are not the model's labels, then training names the label", () => {
    const dir = tempDir('mlship-onnx-');
    const csv = readFileSync(join(ROOT, 'model/data/penguins.csv'), 'utf8').replace(/Adelie/g, 'adelie');
    writeFileSync(join(dir, 'renamed.csv'), csv);
    expect(() => train(loadCsv(join(dir, 'renamed.csv'), 'species'))).toThrow(
      /answered the label "Adelie", which is not one of the data's classes/,
    );
  });
});

describe('the classifier signature', () => {
  const session = new OnnxSession(readFileSync(join(ROOT, EXAMPLE)));

  test("when the class count differs from the probabilities' columns, then it names the output", () => {
    expect(() => classifierSignature(session.inputs, session.outputs, 4, 2)).toThrow(
      'output probabilities float32 [?, 3]: expected [rows, 2]',
    );
  });

  test('when the probabilities come as a list of maps (ZipMap), then it asks for an export without it', () => {
    const zipMap = [session.outputs[0]!, { name: 'output_probability', type: 'other', shape: [] }];
    expect(() => classifierSignature(session.inputs, zipMap, 4, 3)).toThrow(/export without ZipMap/);
  });
});
