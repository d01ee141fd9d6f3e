import type { LoadInput, Predictor } from '../port';
import type { OnnxParams } from './describe';
import { OnnxPredictor } from './predictor';
import { onnxSha256, OnnxSession } from './session';

/** The ONNX file itself, in model.json: its bytes are covered by the artifact's own sha256. */
export interface OnnxBody {
  encoding: 'base64';
  bytes: string;
}

/**
 * An ONNX artifact's predictor, after the embedded file proves to be the one the artifact records.
 * Apart from the algorithm's other parts (fit, schemas) so the batch thread loads it without
 * bundling training code or zod (see ../loaders.ts); onnxruntime itself loads on first use.
 */
export function load({ hyperparameters, model, classNames, featureNames }: LoadInput<OnnxParams, OnnxBody>): Predictor {
  const bytes = Buffer.from(model.bytes, 'base64');
  const actual = onnxSha256(bytes);
  if (actual !== hyperparameters.sha256) {
    throw new Error(
      `the embedded ONNX file hashes to ${actual.slice(0, 12)}…, the artifact records ` +
        `${hyperparameters.sha256.slice(0, 12)}…`,
    );
  }
  return new OnnxPredictor(new OnnxSession(bytes), hyperparameters.signature, classNames, featureNames.length);
}
