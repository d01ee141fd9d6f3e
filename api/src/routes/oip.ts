import { Router } from 'express';
import type { Request } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { ApiError } from '../errors';
import type { ServedModel } from '../model-store';
import { predictDetailed } from '../model-store';
import { parseOrThrow } from '../validation';
import { allow } from './method-not-allowed';

/** The input tensor every model takes, and the outputs it gives. */
const INPUT_NAME = 'input';
const OUTPUTS = ['label', 'probabilities'] as const;
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
        data: z.array(z.unknown()),
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
    platform: 'mlship_knn',
    inputs: [{ name: INPUT_NAME, datatype: 'FP32', shape: [-1, features], parameters: { features: model.featureNames.join(',') } }],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1], parameters: { classes: model.classNames.join(',') } },
      { name: 'probabilities', datatype: 'FP64', shape: [-1, model.classNames.length], parameters: { classes: model.classNames.join(',') } },
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
      if (stack.length >= rank) throw new ApiError('invalid_input', `tensor data nests deeper than its shape's ${rank} dimensions`);
      stack.push({ items: item, index: 0 });
    } else if (typeof item === 'number' && Number.isFinite(item)) {
      out.push(item);
    } else {
      throw new ApiError('invalid_input', `tensor data must hold finite numbers, found ${String(JSON.stringify(item) ?? item).slice(0, 40)}`);
    }
  }
  return out;
}

/**
 * The Open Inference Protocol (KServe v2) REST routes: server and model metadata, health, and
 * inference on an FP32/FP64 tensor of shape [n, features]. Errors are `{"error": "…"}` as the
 * protocol says (with the contract's `code` beside it).
 */
export function oipRoutes(ctx: AppContext): Router {
  const router = Router();
  const find = (req: Request): ServedModel => {
    const name = String(req.params.name);
    const model = ctx.models.get(name);
    if (!model) throw new ApiError('not_found', `unknown model "${name}"`);
    const version = req.params.version;
    if (version !== undefined && version !== model.version) throw new ApiError('not_found', `model "${name}" has no version "${String(version)}"; serving ${model.version}`);
    return model;
  };

  router
    .route(['/v2', '/v2/'])
    .get((_req, res) => {
      res.json({ name: 'mlship', version: SERVER_VERSION, extensions: [] });
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
      .post(...ctx.protect, ...ctx.json, (req, res) => {
        const model = find(req);
        const variant = ctx.variantOf(req.get('x-experiment-group'));
        const request = parseOrThrow(InferenceRequest, req.body);
        const input = request.inputs[0]!;
        const features = model.featureNames.length;
        if (input.name !== INPUT_NAME) throw new ApiError('invalid_input', `unknown input "${input.name}"; the model's input is "${INPUT_NAME}"`);
        if (input.datatype !== 'FP32' && input.datatype !== 'FP64') throw new ApiError('invalid_input', `input datatype must be FP32 or FP64, got ${input.datatype}`);
        const [n, width] = input.shape;
        if (input.shape.length !== 2 || width !== features || n === undefined || n < 1) {
          throw new ApiError('invalid_input', `input shape must be [n, ${features}] with n >= 1, got [${input.shape.join(', ')}]`);
        }
        if (n > ctx.config.MAX_BATCH) throw new ApiError('invalid_input', `at most ${ctx.config.MAX_BATCH} rows per request, got ${n}`);
        const flat = flattenNumbers(input.data, input.shape.length);
        if (flat.length !== n * features) throw new ApiError('invalid_input', `shape [${n}, ${features}] needs ${n * features} values, data has ${flat.length}`);
        const wanted = request.outputs?.map((o) => o.name) ?? [...OUTPUTS];
        const unknown = wanted.find((name) => !(OUTPUTS as readonly string[]).includes(name));
        if (unknown) throw new ApiError('invalid_input', `unknown output "${unknown}"; outputs are ${OUTPUTS.join(', ')}`);

        const rows = Array.from({ length: n }, (_, i) => flat.slice(i * features, (i + 1) * features));
        const started = process.hrtime.bigint();
        const answers = predictDetailed(model, rows);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const labels = answers.map((a) => a.prediction);
        const outputs = {
          label: { name: 'label', datatype: 'BYTES', shape: [n], data: labels },
          probabilities: {
            name: 'probabilities',
            datatype: 'FP64',
            shape: [n, model.classNames.length],
            data: answers.flatMap((a) => model.classNames.map((c) => a.probabilities[c] ?? 0)),
          },
        };
        ctx.record(model, variant, rows, labels, seconds, String(res.locals.requestId), labels);
        res.set({ 'X-Model-Name': model.name, 'X-Model-Version': model.version, 'X-Variant': variant }).json({
          model_name: model.name,
          model_version: model.version,
          ...(request.id === undefined ? {} : { id: request.id }),
          outputs: wanted.map((name) => outputs[name as (typeof OUTPUTS)[number]]),
        });
      })
      .all(allow('POST'));
  }
  return router;
}
