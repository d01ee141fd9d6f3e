import { join } from 'node:path';
import { trainedModelDir } from '../../api/test/helpers';
import type { RunningServer } from '../../api/test/server-process';
import { startServer } from '../../api/test/server-process';
import { loadModelConfigs } from '../../model/src/algorithms/configs';
import type { Reference } from './onnx-reference';
import { onnxReference } from './onnx-reference';
import { ROOT, describeWithTools } from './venv';

/**
 * Every ONNX model of models.json, served by the built API (dist/, onnxruntime-node), answers as
 * onnxruntime in Python (tools/python/onnx_reference.py) on every data row and 3,000 random rows:
 * labels and probabilities equal with ===. A row predicted alone (POST /predict of one row, the
 * debug variant's and OIP's probabilities, which the API works out row by row) is compared with
 * the reference's one-row runs; a batch the batch thread predicts in one run, with its batch run.
 */
const AUTH = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;
const CHUNK = 1000;

const configs = loadModelConfigs(join(ROOT, 'model/models.json'));
const onnxModels = Object.keys(configs).filter((name) => configs[name]!.algorithm === 'onnx');

async function post(
  server: RunningServer,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method: 'POST',
    headers: { Authorization: AUTH, 'Content-Type': 'application/json', ...headers },
    body,
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function chunks<T>(items: readonly T[]): T[][] {
  return Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));
}

/** Where two answers differ, as lines naming the row (at most five). */
function differences(what: string, api: readonly unknown[], reference: readonly unknown[]): string[] {
  const out: string[] = [];
  if (api.length !== reference.length) out.push(`${what}: ${api.length} answers for ${reference.length} rows`);
  reference.forEach((expected, i) => {
    const got = api[i];
    const same = Array.isArray(expected)
      ? Array.isArray(got) && got.length === expected.length && expected.every((v, j) => v === got[j])
      : got === expected;
    if (!same && out.length < 5)
      out.push(`${what} row ${i}: API ${JSON.stringify(got)}, onnxruntime ${JSON.stringify(expected)}`);
  });
  return out;
}

describe.each(onnxModels)('onnxruntime parity of the served ONNX model %s', (name) => {
  describeWithTools(`${name} against tools/python/onnx_reference.py`, ['python'], ({ python }) => {
    let reference: Reference;
    let server: RunningServer;
    beforeAll(async () => {
      reference = await onnxReference(python!, configs[name]!.file as string, name);
      server = await startServer({
        MODEL_DIR: trainedModelDir(),
        MODEL_NAME: name,
        AB_MODEL_NAME: name,
        RATE_LIMIT_PER_MINUTE: '1000000',
        MODEL_POLL_INTERVAL_MS: '0',
      });
      if (server.port < 0) throw new Error(`the server did not start: ${server.output()}`);
    }, 180_000);
    afterAll(async () => {
      server?.child.kill('SIGTERM');
      await server?.exited;
    });

    test.each(['data', 'random'] as const)(
      "when the %s rows are posted one by one, then each label and the debug variant's probabilities are " +
        "onnxruntime's one-row answers",
      async (part) => {
        const { rows, oneRow } = reference[part];
        const labels: unknown[] = [];
        const probabilities: unknown[] = [];
        for (const row of rows) {
          labels.push((await post(server, '/predict', JSON.stringify({ X: row }))).prediction);
          const detailed = (
            await post(server, '/predict', JSON.stringify({ X: row }), { 'X-Experiment-Group': 'debug' })
          ).probabilities as Record<string, number>;
          probabilities.push(reference.classes.map((c) => detailed[c]));
        }
        expect([
          ...differences('label', labels, oneRow.labels),
          ...differences('probabilities', probabilities, oneRow.probabilities),
        ]).toEqual([]);
      },
      300_000,
    );

    test.each(['data', 'random'] as const)(
      "when the %s rows are posted in batches (the batch thread), then the labels are onnxruntime's batch answers",
      async (part) => {
        const { rows, labels } = reference[part];
        const api: unknown[] = [];
        for (const chunk of chunks(rows))
          api.push(...((await post(server, '/predict', JSON.stringify({ X: chunk }))).predictions as string[]));
        expect(differences('label', api, labels)).toEqual([]);
      },
      120_000,
    );

    test.each(['data', 'random'] as const)(
      "when the %s rows go to OIP infer as FP32 binary tensors, then labels and probabilities are onnxruntime's",
      async (part) => {
        const { rows, labels, oneRow } = reference[part];
        const apiLabels: unknown[] = [];
        const apiProbabilities: unknown[] = [];
        for (const chunk of chunks(rows)) {
          const tensor = Buffer.from(Float32Array.from(chunk.flat()).buffer);
          const header = Buffer.from(
            JSON.stringify({
              inputs: [
                {
                  name: 'features',
                  shape: [chunk.length, chunk[0]!.length],
                  datatype: 'FP32',
                  parameters: { binary_data_size: tensor.length },
                },
              ],
              outputs: [{ name: 'label' }, { name: 'probabilities' }],
            }),
          );
          const answer = await post(server, `/v2/models/${name}/infer`, Buffer.concat([header, tensor]), {
            'Content-Type': 'application/octet-stream',
            'Inference-Header-Content-Length': String(header.length),
          });
          const [label, probability] = answer.outputs as { data: unknown[] }[];
          apiLabels.push(...label!.data);
          const flat = probability!.data as number[];
          for (let i = 0; i < chunk.length; i++)
            apiProbabilities.push(flat.slice(i * reference.classes.length, (i + 1) * reference.classes.length));
        }
        // The batch's labels are those of the batch run and of the one-row runs alike (the reference's own test checks
        // they agree).
        expect([
          ...differences('label', apiLabels, labels),
          ...differences('probabilities', apiProbabilities, oneRow.probabilities),
        ]).toEqual([]);
        console.log(JSON.stringify({ onnxParity: { model: name, part, rows: rows.length, mismatches: 0 } }));
      },
      120_000,
    );
  });
});
