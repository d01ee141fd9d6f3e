import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ALICE, makeApp, trainedModelDir } from '../../api/test/helpers';
import { algorithmOf, loadInputOf } from '../../model/src/artifact';
import { loadCsv, loadIris } from '../../model/src/dataset';
import type { Dataset } from '../../model/src/dataset';
import { seededRandom } from '../../model/src/random';
import { loadPromoted } from '../../model/src/registry';
import { run } from './run';
import { ROOT, describeWithTools } from './venv';

/**
 * Every served model rebuilt in scikit-learn (by the reference its algorithm names, from the
 * artifact) answers as the API does on every training and test row and on random points over the
 * feature range. Where scikit-learn reports its own answer as a tie (for a nearest-neighbours
 * model, a shared top vote or equal k-th and (k+1)-th distances) the two may differ: mlship keeps
 * its library's tie rule. The tie counts are printed.
 */
const RANDOM_POINTS = 3000;
const CHUNK = 1000;

function datasetOf(name: string, source: string): Dataset {
  if (source === 'iris') return loadIris();
  const configs = JSON.parse(readFileSync(join(ROOT, 'model/models.json'), 'utf8')) as {
    models: Record<string, { data?: { path?: string; label?: string } }>;
  };
  const data = configs.models[name]?.data;
  if (!data?.path || !data.label)
    throw new Error(`model ${name}: no CSV path and label in model/models.json for source ${source}`);
  return loadCsv(join(ROOT, data.path), data.label);
}

function randomPoints(rows: number[][], count: number): number[][] {
  // Seeded, so a failure names points that can be generated again.
  const next = seededRandom(20261201);
  const width = rows[0]!.length;
  const min = Array.from({ length: width }, (_, j) => Math.min(...rows.map((r) => r[j]!)));
  const max = Array.from({ length: width }, (_, j) => Math.max(...rows.map((r) => r[j]!)));
  return Array.from({ length: count }, () => min.map((lo, j) => lo + next() * (max[j]! - lo)));
}

describeWithTools('scikit-learn parity of the served models', ['python'], ({ python }) => {
  const modelDir = trainedModelDir();
  // The default pair (M1 on v1, M2 on v2) and the penguins model, as a fork serving it would.
  const apps = { M1: makeApp({ MODEL_DIR: modelDir }).app, M3: makeApp({ MODEL_DIR: modelDir, MODEL_NAME: 'M3' }).app };
  const served = ['M1', 'M2', 'M3'];

  async function apiLabels(name: string, rows: number[][]): Promise<string[]> {
    const labels: string[] = [];
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK);
      const body = {
        inputs: [{ name: 'input', shape: [chunk.length, chunk[0]!.length], datatype: 'FP64', data: chunk }],
        outputs: [{ name: 'label' }],
      };
      const res = await request(name === 'M3' ? apps.M3 : apps.M1)
        .post(`/v2/models/${name}/infer`)
        .set({ Authorization: ALICE, 'Content-Type': 'application/json' })
        .send(JSON.stringify(body));
      if (res.status !== 200) throw new Error(`infer ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      labels.push(...(res.body.outputs[0].data as string[]));
    }
    return labels;
  }

  async function sklearnLabels(name: string, queries: number[][]): Promise<{ labels: string[]; ties: string[] }> {
    const artifact = loadPromoted(modelDir, name);
    const reference = algorithmOf(artifact).scikitLearn;
    if (!reference) throw new Error(`${name}: its algorithm names no scikit-learn reference`);
    const input = JSON.stringify({ ...reference.spec(name, loadInputOf(artifact)), mode: 'predict', queries });
    const result = await run(python!, [join(ROOT, reference.script)], { input, timeoutMs: 120_000 });
    if (result.status !== 0) throw new Error(`${reference.script} failed: ${result.output}`);
    return JSON.parse(result.output) as { labels: string[]; ties: string[] };
  }

  test.each(served)(
    'when scikit-learn rebuilds %s, then it predicts as the API on every dataset row and on random points, except ' +
      'at its own ties',
    async (name) => {
      const artifact = loadPromoted(modelDir, name);
      const dataset = datasetOf(name, artifact.dataset.source);
      const queries = [...dataset.X, ...randomPoints(dataset.X, RANDOM_POINTS)];
      const [api, sklearn] = await Promise.all([apiLabels(name, queries), sklearnLabels(name, queries)]);
      const ties = { vote: 0, distance: 0, differentAtTie: 0 };
      const disagreements: string[] = [];
      queries.forEach((row, i) => {
        const tie = sklearn.ties[i];
        if (tie === 'vote' || tie === 'distance') ties[tie]++;
        if (api[i] === sklearn.labels[i]) return;
        if (tie) ties.differentAtTie++;
        else
          disagreements.push(
            `${i < dataset.X.length ? `row ${i}` : `random point ${i - dataset.X.length}`} ${JSON.stringify(row)}: ` +
              `API ${api[i]}, scikit-learn ${sklearn.labels[i]}`,
          );
      });
      console.log(
        JSON.stringify({
          sklearnParity: {
            model: name,
            ...algorithmOf(artifact).describe(artifact.hyperparameters, artifact.scores, artifact.software).fields,
            datasetRows: dataset.X.length,
            randomPoints: RANDOM_POINTS,
            voteTies: ties.vote,
            distanceTies: ties.distance,
            differentAtTies: ties.differentAtTie,
            disagreementsElsewhere: disagreements.length,
          },
        }),
      );
      expect(disagreements.slice(0, 5)).toEqual([]);
      // Ties are the exception, never the bulk: a comparison that excused most rows would prove nothing.
      expect(ties.vote + ties.distance).toBeLessThan(queries.length / 10);
      expect(api).toHaveLength(queries.length);
    },
    180_000,
  );
});
