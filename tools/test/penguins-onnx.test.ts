import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run';
import { ROOT, describeWithTools } from './venv';

/**
 * The committed example ONNX model is what tools/python/penguins_onnx.py makes, byte for byte.
 *
 * Why bytes can be compared on any machine, although training is floating-point work whose last
 * bits depend on the CPU (BLAS kernels and libm variants picked at run time, FMA or not): the
 * file stores float32 weights rounded from float64 ones, and the script converges a strictly
 * convex loss to its unique minimum. It reports how far the float64 weights move when the rows
 * come in another order (every sum then runs in another order, as on another CPU) and how far
 * each weight is from a float32 rounding midpoint; while the margin dwarfs the spread, no
 * machine's rounding can change a stored weight. The rest of the file (graph, names, opsets,
 * producer) is fixed by the script and the pinned packages.
 */
const SCRIPT = join(ROOT, 'tools/python/penguins_onnx.py');
const COMMITTED = join(ROOT, 'model/examples/penguins-onnx/model.onnx');
// Two string-hash seeds under which skl2onnx listed the opset imports in different orders before
// the script sorted them: any output that follows the order of a Python set shows as a difference.
const HASH_SEEDS = ['0', '1'];
// How many times the spread the margin must be: a CPU whose sums drift 100 times more than a
// reordering makes them still rounds every weight the same.
const SAFETY = 100;

interface Report {
  out: string;
  trainingRows: number;
  float32Margin: number;
  reorderSpread: number;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describeWithTools('the example ONNX model (model/examples/penguins-onnx)', ['python'], ({ python }) => {
  let dir: string;
  const reports: Report[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlship-onnx-'));
    for (const seed of HASH_SEEDS) {
      const out = join(dir, `hash-seed-${seed}.onnx`);
      const result = await run(python!, [SCRIPT, '--out', out], { env: { PYTHONHASHSEED: seed }, timeoutMs: 120_000 });
      if (result.status !== 0)
        throw new Error(
          `penguins_onnx.py failed (exit ${result.status}; a venv from before its pins? run npm run ` +
            `tools:install):\n${result.output}`,
        );
      reports.push(JSON.parse(result.output) as Report);
    }
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('when the script runs twice under different hash seeds, then the two files are byte-identical', () => {
    expect(sha256(reports[1]!.out)).toBe(sha256(reports[0]!.out));
  });

  test(
    'when the script runs, then its file is byte-identical to the committed model.onnx (else regenerate it with ' +
      'the script and commit it)',
    () => {
      expect(sha256(reports[0]!.out)).toBe(sha256(COMMITTED));
    },
  );

  test(
    `when the script reports its weights, then each is more than ${SAFETY} times the reordering spread from ` +
      `flipping its float32`,
    () => {
      const { float32Margin, reorderSpread, trainingRows } = reports[0]!;
      console.log(JSON.stringify({ onnxExampleWeights: { trainingRows, float32Margin, reorderSpread } }));
      expect(reorderSpread).toBeGreaterThan(0);
      expect(float32Margin).toBeGreaterThan(SAFETY * reorderSpread);
    },
  );
});
