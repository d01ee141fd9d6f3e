import type { Description } from '../port';
import type { OnnxSignature } from './signature';

/** An ONNX model's hyperparameters as its artifacts record them (testFraction and seed sit beside them). */
export interface OnnxParams {
  /** The models.json entry's file, as given (relative to the repository root). */
  file: string;
  /** The sha256 of the ONNX file's bytes: what `load` checks the embedded bytes against. */
  sha256: string;
  signature: OnnxSignature;
}

/** The card's words for an ONNX model, its `/models` fields and its one-line summary. */
export function describeOnnx(
  params: OnnxParams,
  _selection: Record<string, unknown>,
  software: Record<string, string>,
): Description {
  const { file, sha256, signature } = params;
  return {
    summary:
      `ONNX classifier trained outside mlship (\`${file}\`), served by onnxruntime ` +
      `${software.onnxruntime ?? 'unknown'} on the CPU; its preprocessing is part of the graph.`,
    hyperparameters: [
      `- file \`${file}\`, sha256 \`${sha256}\` (the bytes are embedded in model.json and checked against it at ` +
        `every load)`,
      `- input \`${signature.input}\` ${signature.inputType} [rows, features]; outputs \`${signature.label}\` (the ` +
        `class) and \`${signature.probabilities}\` (one probability per class)`,
      '- nothing was fitted here: the split only chooses the held-out rows the model is scored on',
    ],
    limitations: [
      '- mlship evaluated this model but did not train it: its held-out scores mean something only if the file was ' +
        "trained without the test split's rows (the example trains on mlship's own training split).",
    ],
    fields: { file, onnxSha256: sha256 },
    brief: `onnx ${sha256.slice(0, 12)}`,
  };
}
