import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCsv } from '../../model/src/dataset';
import { seededRandom } from '../../model/src/random';
import { stratifiedSplit } from '../../model/src/split';
import { run } from './run';
import { ROOT, describeWithTools } from './venv';

/**
 * tools/python/mlship_split.py picks the rows model/src/split.ts picks: the example ONNX model
 * is trained on its training rows so that mlship's test rows stay unseen, and a split that drifted
 * would score the model on rows it learned.
 */
interface SplitCase {
  y: number[];
  classCount: number;
  testFraction: number;
  seed: number;
}

async function pythonSplit(python: string, input: SplitCase): Promise<{ train: number[]; test: number[] }> {
  const result = await run(python, [join(ROOT, 'tools/python/mlship_split.py')], {
    input: JSON.stringify(input),
    timeoutMs: 30_000,
  });
  if (result.status !== 0) throw new Error(`mlship_split.py failed (exit ${result.status}):\n${result.output}`);
  return JSON.parse(result.output) as { train: number[]; test: number[] };
}

function penguinsCase(): SplitCase {
  const models = JSON.parse(readFileSync(join(ROOT, 'model/models.json'), 'utf8')) as {
    models: Record<string, { data: { path: string; label: string }; testFraction: number; seed: number }>;
  };
  const m3 = models.models.M3!;
  const dataset = loadCsv(join(ROOT, m3.data.path), m3.data.label);
  return { y: dataset.y, classCount: dataset.classNames.length, testFraction: m3.testFraction, seed: m3.seed };
}

/**
 * Uneven classes (some may be empty), seeds past 2^31 (where signed and unsigned 32-bit arithmetic
 * part) and class sizes whose test share ends in a half (JavaScript rounds it up, Python's round()
 * to even).
 */
function randomCases(): SplitCase[] {
  const next = seededRandom(7);
  return Array.from({ length: 20 }, (_, i) => {
    const classCount = 2 + (i % 4);
    const y = Array.from({ length: 10 + Math.floor(next() * 300) }, () => Math.floor(next() * next() * classCount));
    return { y, classCount, testFraction: [0.1, 0.2, 0.25, 0.5][i % 4]!, seed: Math.floor(next() * 2 ** 32) };
  });
}

describeWithTools('mlship_split.py against model/src/split.ts', ['python'], ({ python }) => {
  const cases: Array<[string, SplitCase]> = [
    ["the penguins data with M3's seed and test fraction", penguinsCase()],
    ...randomCases().map((c, i): [string, SplitCase] => [
      `random labels ${i} (${c.y.length} rows, ${c.classCount} classes, fraction ${c.testFraction}, seed ${c.seed})`,
      c,
    ]),
  ];
  test.each(cases)('when both split %s, then they hold out the same rows', async (_name, input) => {
    const expected = stratifiedSplit(input.y, input.classCount, input.testFraction, seededRandom(input.seed));
    expect(await pythonSplit(python!, input)).toEqual(expected);
  });
});
