import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { bodyLimitBytes } from '../config';
import type { AppContext } from '../context';
import { setHeaderPairs } from '../prediction/model-headers';
import type { Prediction, PredictionRoute, RowsRead } from '../prediction/prediction-step';
import { armsOf } from '../models/variant';
import { ApiError } from '../http/errors';
import { BINARY_EXTENSION, decodeTensor, encodeTensor, inferBody } from '../http/oip-binary';
import type { InferBody } from '../http/oip-binary';
import type { ServedModel } from '../models/model-store';
import { MAX_FEATURE_MAGNITUDE, parseOrThrow } from '../http/validation';
import { allow } from './method-not-allowed';

/** The input tensor every model takes (any name is accepted: there is only one), and the outputs it gives. */
const INPUT_NAME = 'input';
const OUTPUTS = ['label', 'probabilities'] as const;
type OutputName = (typeof OUTPUTS)[number];
interface OutputTensor {
  name: OutputName;
  datatype: 'BYTES' | 'FP64';
  shape: number[];
  data: Array<string | number>;
}
const SERVER_VERSION = '2';

const parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional();

const InferenceRequest = z.object({
  id: z.string().optional(),
  parameters,
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().min(0)),
        datatype: z.string(),
        parameters,
        // Checked by flattenNumbers, which bounds the nesting: a recursive schema would not.
        // Absent when the tensor comes as binary data (parameters.binary_data_size).
        data: z.array(z.unknown()).optional(),
      }),
    )
    .length(1, 'this model takes exactly one input tensor'),
  outputs: z.array(z.object({ name: z.string(), parameters })).optional(),
});

function modelMetadata(model: ServedModel) {
  const features = model.featureNames.length;
  return {
    name: model.name,
    versions: [model.version],
    // The algorithm, as Triton names a model's backend (onnxruntime_onnx, pytorch_libtorch).
    platform: `mlship_${model.algorithm}`,
    inputs: [
      {
        name: INPUT_NAME,
        datatype: 'FP32',
        shape: [-1, features],
        parameters: { features: model.featureNames.join(',') },
      },
    ],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1], parameters: { classes: model.classNames.join(',') } },
      {
        name: 'probabilities',
        datatype: 'FP64',
        shape: [-1, model.classNames.length],
        parameters: { classes: model.classNames.join(',') },
      },
    ],
  };
}

/**
 * Flattens tensor data row-major, nested (`[[…],[…]]`) or flat, into finite numbers. Iterative and
 * bounded by the tensor's rank, so hostile nesting is a 400, never a stack overflow.
 */
function flattenNumbers(data: unknown[], rank: number): number[] {
  const out: number[] = [];
  const stack: Array<{ items: unknown[]; index: number }> = [{ items: data, index: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.index >= top.items.length) {
      stack.pop();
      continue;
    }
    const item = top.items[top.index++];
    if (Array.isArray(item)) {
      if (stack.length >= rank)
        throw new ApiError('invalid_input', `tensor data nests deeper than its shape's ${rank} dimensions`);
      stack.push({ items: item, index: 0 });
    } else if (typeof item === 'number' && Number.isFinite(item)) {
      if (Math.abs(item) > MAX_FEATURE_MAGNITUDE)
        throw new ApiError('invalid_input', `tensor values must be within ±1e150, found ${item}`);
      out.push(item);
    } else {
      throw new ApiError(
        'invalid_input',
        `tensor data must hold finite numbers, found ${String(JSON.stringify(item) ?? item).slice(0, 40)}`,
      );
    }
  }
  return out;
}

type InferenceInput = z.infer<typeof InferenceRequest>['inputs'][number];

/**
 * The rows of the single input tensor: FP32 or FP64 of shape [n, features], from JSON `data`
 * (flat or nested) or from the binary extension's bytes. Any input name is accepted, as KServe's
 * runtimes do for a single-input model (their examples send `input-0`).
 */
function inputRows(input: InferenceInput, binary: Buffer, features: number, maxBatch: number): number[][] {
  if (input.datatype !== 'FP32' && input.datatype !== 'FP64')
    throw new ApiError('invalid_input', `input datatype must be FP32 or FP64, got ${input.datatype}`);
  const [n, width] = input.shape;
  if (input.shape.length !== 2 || width !== features || n === undefined || n < 1) {
    throw new ApiError(
      'invalid_input',
      `input shape must be [n, ${features}] with n >= 1, got [${input.shape.join(', ')}]`,
    );
  }
  if (n > maxBatch) throw new ApiError('invalid_input', `at most ${maxBatch} rows per request, got ${n}`);
  const binarySize = input.parameters?.binary_data_size;
  let flat: number[];
  if (binarySize !== undefined) {
    if (input.data !== undefined)
      throw new ApiError('invalid_input', 'an input has either data or parameters.binary_data_size, not both');
    if (typeof binarySize !== 'number' || binarySize !== binary.length)
      throw new ApiError(
        'invalid_input',
        `parameters.binary_data_size (${String(binarySize)}) must equal the ${binary.length} bytes after the ` +
          `inference header`,
      );
    flat = decodeTensor(binary, input.datatype, n * features);
  } else {
    if (input.data === undefined)
      throw new ApiError(
        'invalid_input',
        'the input needs data, or parameters.binary_data_size with the binary data extension',
      );
    if (binary.length > 0)
      throw new ApiError(
        'invalid_input',
        `${binary.length} bytes follow the inference header but no input declares binary_data_size`,
      );
    flat = flattenNumbers(input.data, input.shape.length);
  }
  if (flat.length !== n * features)
    throw new ApiError(
      'invalid_input',
      `shape [${n}, ${features}] needs ${n * features} values, data has ${flat.length}`,
    );
  return Array.from({ length: n }, (_, i) => flat.slice(i * features, (i + 1) * features));
}

/** JSON alone, or (when an output is binary) the JSON header, then each binary output's bytes in order. */
function sendInferResponse(
  res: Response,
  head: Record<string, string>,
  outputs: Array<{ tensor: OutputTensor; binary: boolean }>,
): void {
  const buffers: Buffer[] = [];
  const described = outputs.map(({ tensor, binary }) => {
    if (!binary) return tensor;
    const bytes = encodeTensor(tensor.datatype, tensor.data);
    buffers.push(bytes);
    return {
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape,
      parameters: { binary_data_size: bytes.length },
    };
  });
  const json = Buffer.from(JSON.stringify({ ...head, outputs: described }), 'utf8');
  if (buffers.length === 0) {
    res.type('application/json').send(json);
    return;
  }
  res
    .set('Inference-Header-Content-Length', String(json.length))
    .type('application/octet-stream')
    .send(Buffer.concat([json, ...buffers]));
}

/** The model a route's `:name` (and `:version`, when given) names, or a 404. */
function modelFinder(ctx: AppContext): (req: Request) => ServedModel {
  return (req) => {
    const name = String(req.params.name);
    const model = ctx.models.get(name);
    if (!model) throw new ApiError('not_found', `unknown model "${name}"`);
    const version = req.params.version;
    if (version !== undefined && version !== model.version)
      throw new ApiError('not_found', `model "${name}" has no version "${String(version)}"; serving ${model.version}`);
    return model;
  };
}

/** The output tensors asked for, from the label and (when asked for) the detailed predictions. */
function outputTensors(
  model: ServedModel,
  { labels, details }: Prediction<RowsRead>,
): Record<OutputName, () => OutputTensor> {
  return {
    label: () => ({ name: 'label', datatype: 'BYTES', shape: [labels.length], data: labels }),
    probabilities: () => ({
      name: 'probabilities',
      datatype: 'FP64',
      shape: [labels.length, model.classNames.length],
      data: details!.flatMap((d) => model.classNames.map((c) => d.probabilities[c] ?? 0)),
    }),
  };
}

/**
 * POST …/infer: the input tensor's rows through the prediction step (prediction-step.ts, as POST
 * /predict runs it), answered as the outputs asked for. The model is the one the path names; it
 * answers as the arm it serves in, as the one the request asks for when it serves both.
 */
function inferHandler(ctx: AppContext, find: (req: Request) => ServedModel): RequestHandler {
  return (req, res) => {
    const named = find(req);
    const body = req.body as InferBody;
    const request = parseOrThrow(InferenceRequest, body.header);
    const wanted = request.outputs ?? OUTPUTS.map((name) => ({ name, parameters: undefined }));
    const unknown = wanted.find((o) => !(OUTPUTS as readonly string[]).includes(o.name));
    if (unknown)
      throw new ApiError('invalid_input', `unknown output "${unknown.name}"; outputs are ${OUTPUTS.join(', ')}`);
    const wantsProbabilities = wanted.some((o) => o.name === 'probabilities');
    const route: PredictionRoute = {
      arms: armsOf(named.name, ctx.models.pair),
      modelFor: () => named,
      wantsDetails: () => wantsProbabilities,
    };
    const read = (model: ServedModel): RowsRead => ({
      rows: inputRows(request.inputs[0]!, body.binary, model.featureNames.length, ctx.config.MAX_BATCH),
    });
    const answer = (prediction: Prediction<RowsRead>): void => {
      setHeaderPairs(res, prediction.headers);
      const tensors = outputTensors(prediction.model, prediction);
      const binaryByDefault = request.parameters?.binary_data_output === true;
      const outputs = wanted.map((o) => ({
        tensor: tensors[o.name as OutputName](),
        binary: (o.parameters?.binary_data ?? binaryByDefault) === true,
      }));
      sendInferResponse(
        res,
        {
          model_name: prediction.model.name,
          model_version: prediction.model.version,
          ...(request.id === undefined ? {} : { id: request.id }),
        },
        outputs,
      );
    };
    const predicted = ctx.predict({ headers: req.headers, requestId: String(res.locals.requestId), read }, route);
    // A promise when the batch thread predicts: Express 5 sends its rejection to the error handler.
    if (predicted instanceof Promise) return predicted.then(answer);
    answer(predicted);
  };
}

/**
 * The Open Inference Protocol (KServe v2) REST routes: server and model metadata, health, and
 * inference on an FP32/FP64 tensor of shape [n, features]. Errors are `{"error": "…"}` as the
 * protocol says (with the contract's `code` beside it).
 */
export function oipRoutes(ctx: AppContext): Router {
  const router = Router();
  const readInferBody = inferBody(bodyLimitBytes(ctx.config.BODY_LIMIT));
  const find = modelFinder(ctx);

  router
    .route(['/v2', '/v2/'])
    .get((_req, res) => {
      res.json({ name: 'mlship', version: SERVER_VERSION, extensions: [BINARY_EXTENSION] });
    })
    .all(allow('GET'));
  router
    .route('/v2/health/live')
    .get((_req, res) => {
      res.json({ live: true });
    })
    .all(allow('GET'));
  router
    .route('/v2/health/ready')
    .get((_req, res) => {
      res.status(ctx.isReady() ? 200 : 503).json({ ready: ctx.isReady() });
    })
    .all(allow('GET'));
  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    router
      .route(base)
      .get((req, res) => {
        res.json(modelMetadata(find(req)));
      })
      .all(allow('GET'));
    router
      .route(`${base}/ready`)
      .get((req, res) => {
        const model = find(req);
        const ready = ctx.isReady();
        res.status(ready ? 200 : 503).json({ name: model.name, ready });
      })
      .all(allow('GET'));
    router
      .route(`${base}/infer`)
      .post(...ctx.protect, readInferBody, inferHandler(ctx, find))
      .all(allow('POST'));
  }
  return router;
}
