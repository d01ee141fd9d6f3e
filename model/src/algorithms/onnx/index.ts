import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../../errors';
import type { Algorithm, FitInput } from '../port';
import type { OnnxParams } from './describe';
import { describeOnnx } from './describe';
import { checkClassOrder } from './class-order';
import type { OnnxBody } from './load';
import { load } from './load';
import { OnnxPredictor } from './predictor';
import { onnxruntimeVersion, onnxSha256, OnnxSession } from './session';
import type { OnnxSignature } from './signature';
import { classifierSignature } from './signature';

/** An ONNX entry's own field in models.json: the model file, relative to the repository root. */
const ConfigSchema = z.object({
  file: z
    .string({ error: 'give the .onnx file, relative to the repository root' })
    .regex(/\.onnx$/, 'expected a .onnx file'),
});
type OnnxConfig = z.infer<typeof ConfigSchema>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const ParamsSchema = z.looseObject({
  file: z.string(),
  sha256: Sha256,
  signature: z.object({
    input: z.string(),
    inputType: z.enum(['float32', 'float64']),
    label: z.string(),
    probabilities: z.string(),
  }),
}) as unknown as z.ZodType<OnnxParams>;
const BodySchema = z.strictObject({ encoding: z.literal('base64'), bytes: z.string().min(1) });

/** The file's bytes and a session on them; an InputError names the file and what is wrong. */
function openFile(input: FitInput, file: string): { bytes: Buffer; session: OnnxSession } {
  const path = input.resolvePath(file);
  if (!existsSync(path))
    throw new InputError(
      `${file}: not found (looked for ${path}); give the .onnx file relative to the repository root`,
    );
  const bytes = readFileSync(path);
  try {
    return { bytes, session: new OnnxSession(bytes) };
  } catch (error) {
    throw new InputError(`${file}: ${(error as Error).message}`);
  }
}

function fit(input: FitInput, config: OnnxConfig): ReturnType<Algorithm<OnnxConfig, OnnxParams, OnnxBody>['fit']> {
  const { bytes, session } = openFile(input, config.file);
  let signature: OnnxSignature;
  try {
    signature = classifierSignature(session.inputs, session.outputs, input.featureCount, input.classCount);
    checkClassOrder(
      new OnnxPredictor(session, signature, input.classNames, input.featureCount),
      input.X,
      input.classNames,
    );
  } catch (error) {
    throw new InputError(`${config.file}: ${(error as Error).message}`);
  }
  return {
    params: { file: config.file, sha256: onnxSha256(bytes), signature },
    model: { encoding: 'base64', bytes: bytes.toString('base64') },
    selection: {},
    software: { onnxruntime: onnxruntimeVersion() },
  };
}

/**
 * A classifier trained elsewhere and exported to ONNX: "fitting" checks its signature and class
 * order against the data and embeds the file; serving runs it with onnxruntime-node.
 */
export const onnx: Algorithm<OnnxConfig, OnnxParams, OnnxBody> = {
  name: 'onnx',
  format: 'mlship.onnx-model/v1',
  metricsFormat: 'mlship.onnx-metrics/v1',
  config: ConfigSchema,
  params: ParamsSchema,
  body: BodySchema,
  // Any data a split can score: nothing is fitted, so no class needs more rows than the split's.
  assertTrainable: () => undefined,
  fit,
  load,
  describe: describeOnnx,
  evidence: {},
};
