import { join } from 'node:path';
import { run } from './run';
import { ROOT } from './venv';

/** One run's answers: a label and one probability per class for each row. */
export interface Predictions {
  labels: string[];
  probabilities: number[][];
}

/** The answers for a set of rows, in one run over all of them and in one run per row. */
export interface Answers extends Predictions {
  rows: number[][];
  oneRow: Predictions;
}

/** What tools/python/onnx_reference.py prints (its docstring gives the format). */
export interface Reference {
  model: string;
  sha256: string;
  input: { name: string; type: string };
  featureNames: string[];
  classes: string[];
  data: Answers;
  random: Answers & { seed: number };
}

/** Runs tools/python/onnx_reference.py on `model` (from the repository root) with the data of models.json's `entry`. */
export async function onnxReference(
  python: string,
  model: string,
  entry: string,
  randomRows?: number,
): Promise<Reference> {
  const args = [
    join(ROOT, 'tools/python/onnx_reference.py'),
    join(ROOT, model),
    '--entry',
    entry,
    ...(randomRows === undefined ? [] : ['--random', String(randomRows)]),
  ];
  const result = await run(python, args, { timeoutMs: 120_000 });
  if (result.status !== 0)
    throw new Error(
      `onnx_reference.py failed (exit ${result.status}; a venv from before its pins? run npm run tools:install):\n` +
        `${result.output}`,
    );
  return JSON.parse(result.output) as Reference;
}
