import type { Explanation, Predictor } from '../port';
import type { OnnxSession } from './session';
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

  constructor(
    private readonly session: OnnxSession,
    private readonly signature: OnnxSignature,
    classNames: readonly string[],
    private readonly featureCount: number,
  ) {
    this.row = signature.inputType === 'float32' ? new Float32Array(featureCount) : new Float64Array(featureCount);
    this.classIndex = new Map(classNames.map((name, i) => [name, i]));
  }

  /** The class index of a label the graph gave (a string, or an int64 label as its decimal text). */
  indexOf(label: unknown): number {
    const index = this.classIndex.get(String(label));
    if (index === undefined) throw new Error(`the ONNX model answered the label ${JSON.stringify(String(label))}, which is not one of the data's classes`);
    return index;
  }

  /** The graph's outputs for rows laid end to end, in the input's element type. */
  private run(values: Float32Array | Float64Array, rows: number, outputs: readonly string[]): ReturnType<OnnxSession['run']> {
    return this.session.run(this.signature.input, values, rows, outputs);
  }

  private runOne(row: ArrayLike<number>, outputs: readonly string[]): ReturnType<OnnxSession['run']> {
    for (let j = 0; j < this.featureCount; j++) this.row[j] = row[j] as number;
    return this.run(this.row, 1, outputs);
  }

  predict(row: ArrayLike<number>): number {
    const { label } = this.signature;
    return this.indexOf((this.runOne(row, [label])[label] as ArrayLike<unknown>)[0]);
  }

  predictFlat(rows: Float64Array, out: Int32Array): void {
    if (out.length === 0) return;
    const { label, inputType } = this.signature;
    // One run over the whole batch: onnxruntime's batched kernels are what make it fast.
    const labels = this.run(inputType === 'float32' ? Float32Array.from(rows) : rows, out.length, [label])[label] as ArrayLike<unknown>;
    for (let i = 0; i < out.length; i++) out[i] = this.indexOf(labels[i]);
  }

  explain(row: ArrayLike<number>): Explanation {
    const { label, probabilities } = this.signature;
    const result = this.runOne(row, [label, probabilities]);
    // Each float32 as the float64 of the same value: what JSON then carries exactly.
    return { label: this.indexOf((result[label] as ArrayLike<unknown>)[0]), probabilities: Array.from(result[probabilities] as Float32Array), evidence: {} };
  }
}
