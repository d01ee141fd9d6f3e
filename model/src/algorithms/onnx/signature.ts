import type { TensorInfo } from './session';

/** The roles of a classifier graph's tensors, by name, as the artifact records them. */
export interface OnnxSignature {
  /** The one input: rows of features. */
  input: string;
  /** Its element type: what the caller's float64 rows are converted to. */
  inputType: 'float32' | 'float64';
  /** The rank-1 output: one class label per row. */
  label: string;
  /** The rank-2 float output: one probability per class per row, in the data's class order. */
  probabilities: string;
}

const shapeText = (t: TensorInfo): string => `${t.name} ${t.type} [${t.shape.map((d) => d ?? '?').join(', ')}]`;

/** A fixed dimension must equal `expected`; an open one (the batch, or any symbolic one) fits. */
function fits(dimension: number | null | undefined, expected: number): boolean {
  return dimension === null || dimension === expected;
}

/**
 * The classifier signature of a graph, checked against the data it is evaluated on: one float
 * input `[rows, featureCount]`, one rank-1 label output and one float32 `[rows, classCount]`
 * probabilities output (how skl2onnx exports a classifier with ZipMap off; the same rule as
 * tools/python/onnx_reference.py). Throws an Error saying what the graph has instead.
 */
export function classifierSignature(
  inputs: readonly TensorInfo[],
  outputs: readonly TensorInfo[],
  featureCount: number,
  classCount: number,
): OnnxSignature {
  const [input] = inputs;
  if (inputs.length !== 1 || !input)
    throw new Error(`expected one input, got ${inputs.length}: ${inputs.map(shapeText).join('; ')}`);
  if (
    (input.type !== 'float32' && input.type !== 'float64') ||
    input.shape.length !== 2 ||
    !fits(input.shape[1], featureCount)
  ) {
    throw new Error(
      `input ${shapeText(input)}: expected float32 or float64 [rows, ${featureCount}] (the data's ${featureCount} ` +
        `features)`,
    );
  }
  const labels = outputs.filter((o) => o.shape.length === 1);
  const probabilities = outputs.filter((o) => o.shape.length === 2 && o.type === 'float32');
  const [label] = labels;
  const [probability] = probabilities;
  if (labels.length !== 1 || probabilities.length !== 1 || !label || !probability) {
    throw new Error(
      `expected one rank-1 label output and one float32 [rows, classes] probabilities output (export without ` +
        `ZipMap), got ${outputs.map(shapeText).join('; ')}`,
    );
  }
  if (!fits(probability.shape[1], classCount))
    throw new Error(
      `output ${shapeText(probability)}: expected [rows, ${classCount}] (the data's ${classCount} classes)`,
    );
  return { input: input.name, inputType: input.type, label: label.name, probabilities: probability.name };
}
