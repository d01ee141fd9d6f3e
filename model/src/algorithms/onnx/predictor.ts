import type { Explanation, Predictor } from '../port';
import type { OnnxOutputs, OnnxSession } from './session';
import type { OnnxSignature } from './signature';

/**
 * The serving side of an ONNX classifier: rows in the caller's units go into the graph as they
 * are (its own preprocessing is part of it), converted to the input's element type as numpy's
 * astype does (round to nearest). The class is the graph's label output, named by the data's
 * class names; the probabilities are its probabilities output. One predictor serves one thread.
 */
export class OnnxPredictor implements Predictor {
  private readonly row: Float32Array | Float64Array;
  private readonly classIndex: Map<string, number>;
  // The single-row runs, prepared once over `row` (what predict and explain refill per call).
  private readonly runLabel: () => OnnxOutputs;
  private readonly runExplain: () => OnnxOutputs;

  constructor(
    private readonly session: OnnxSession,
    private readonly signature: OnnxSignature,
    classNames: readonly string[],
    private readonly featureCount: number,
  ) {
    this.row = signature.inputType === 'float32' ? new Float32Array(featureCount) : new Float64Array(featureCount);
    this.classIndex = new Map(classNames.map((name, i) => [name, i]));
    this.runLabel = session.prepare(signature.input, this.row, 1, [signature.label]);
    this.runExplain = session.prepare(signature.input, this.row, 1, [signature.label, signature.probabilities]);
  }

  /** The class index of a label the graph gave (a string, or an int64 label as its decimal text). */
  indexOf(label: unknown): number {
    const index = this.classIndex.get(String(label));
    if (index === undefined)
      throw new Error(
        `the ONNX model answered the label ${JSON.stringify(String(label))}, which is not one of the data's classes`,
      );
    return index;
  }

  /** Copies one row into the prepared runs' input buffer. */
  private fill(row: ArrayLike<number>): void {
    for (let j = 0; j < this.featureCount; j++) this.row[j] = row[j] as number;
  }

  predict(row: ArrayLike<number>): number {
    this.fill(row);
    return this.indexOf((this.runLabel()[this.signature.label] as ArrayLike<unknown>)[0]);
  }

  predictFlat(rows: Float64Array, out: Int32Array): void {
    if (out.length === 0) return;
    const { label, inputType } = this.signature;
    // One run over the whole batch: onnxruntime's batched kernels are what make it fast.
    const values = inputType === 'float32' ? Float32Array.from(rows) : rows;
    const labels = this.session.run(this.signature.input, values, out.length, [label])[label] as ArrayLike<unknown>;
    for (let i = 0; i < out.length; i++) out[i] = this.indexOf(labels[i]);
  }

  explain(row: ArrayLike<number>): Explanation {
    const { label, probabilities } = this.signature;
    this.fill(row);
    const result = this.runExplain();
    // Each float32 as the float64 of the same value: what JSON then carries exactly.
    return {
      label: this.indexOf((result[label] as ArrayLike<unknown>)[0]),
      probabilities: Array.from(result[probabilities] as Float32Array),
      evidence: {},
    };
  }
}
