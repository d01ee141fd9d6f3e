import { createHash } from 'node:crypto';
import type * as OrtCommon from 'onnxruntime-common';
import type { Tensor } from 'onnxruntime-common';
import type * as OrtBinding from 'onnxruntime-node/dist/binding';

/**
 * onnxruntime, loaded with the first ONNX model rather than at start: a server or CLI with only
 * KNN models never loads the native library (which needs glibc). The session is the native one
 * the package's own InferenceSession wraps: its `run` is synchronous, and the public
 * `InferenceSession.run` only defers that same call with setImmediate and a Promise. The port's
 * predictor is synchronous (the POST /predict fast path, the batch thread and training's
 * evaluation predict without awaiting), so mlship calls it as the wrapper does.
 */
function onnxruntime(): { binding: typeof OrtBinding.binding; Tensor: typeof Tensor } {
  optOutOfTelemetry();
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
  const { binding, initOrt } = require('onnxruntime-node/dist/binding') as typeof OrtBinding;
  const common = require('onnxruntime-common') as typeof OrtCommon;
  /* eslint-enable @typescript-eslint/no-require-imports */
  initOrt();
  return { binding, Tensor: common.Tensor };
}
let ort: ReturnType<typeof onnxruntime> | undefined;

/**
 * onnxruntime's Linux build (1.29 on) ships Microsoft's 1DS telemetry, on by default outside CI: on
 * load it writes a device id and an event cache under `~/.cache/Microsoft` and resolves
 * mobile.events.data.microsoft.com to upload them. A model server must not phone home or write to
 * its home, so mlship opts out unless the operator set the variable themselves. The native side
 * reads it once, from the process's environment, when the library loads: hence before the
 * `require`, and from the main thread (a worker's `process.env` is a copy the C side never sees;
 * the API loads every model on the main thread before any batch reaches a worker).
 */
function optOutOfTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}

/** The version of onnxruntime-node that checks and serves models, for the artifact's `software`. */
export function onnxruntimeVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- read on first use, as the library is
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

/** One input or output of a graph as onnxruntime describes it. */
export interface TensorInfo {
  name: string;
  /** onnxruntime's element type: `float32`, `float64`, `string`, `int64`, … (`other` for non-tensors). */
  type: string;
  /** Dimensions; `null` where the graph leaves one open (a symbolic dimension such as the batch). */
  shape: (number | null)[];
}

// onnxruntime's element type codes (ONNX TensorProto.DataType), the ones a classifier's signature uses.
const ELEMENT_TYPES: Record<number, string> = { 1: 'float32', 7: 'int64', 8: 'string', 11: 'float64' };

type NativeSession = InstanceType<typeof OrtBinding.binding.InferenceSession>;
type NativeMetadata = NativeSession['inputMetadata'][number];

function describe(meta: NativeMetadata): TensorInfo {
  return {
    name: meta.name,
    type: meta.isTensor ? (ELEMENT_TYPES[meta.type] ?? `type ${meta.type}`) : 'other',
    shape: meta.shape.map((d) => (d >= 0 ? d : null)),
  };
}

/** The named outputs' data of one run. */
export type OnnxOutputs = Record<string, Tensor['data']>;

// Every run's options: none (an object the native side reads, shared rather than made per call).
const RUN_OPTIONS = Object.freeze({});

/** The sha256 of an ONNX file's bytes, hex. */
export function onnxSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * An onnxruntime CPU session on one thread, as the Python reference runs it (intra- and inter-op
 * threads 1, so answers do not depend on the machine's cores and one request never takes them all).
 */
export class OnnxSession {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  private readonly native: NativeSession;
  private readonly runtime: ReturnType<typeof onnxruntime>;

  /** Loads a model from its bytes; throws an Error saying why onnxruntime could not. */
  constructor(bytes: Uint8Array) {
    this.runtime = ort ??= onnxruntime();
    this.native = new this.runtime.binding.InferenceSession();
    // No JavaScript callback is registered, so the native side builds the session before
    // returning and the Promise is already settled; a session that is not initialized is the
    // synchronous sign that onnxruntime refused the bytes (the rejection itself is dropped).
    this.native
      .loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionProviders: ['cpu'],
      })
      .catch(() => undefined);
    try {
      this.inputs = this.native.inputMetadata.map(describe);
      this.outputs = this.native.outputMetadata.map(describe);
    } catch {
      throw new Error(
        'onnxruntime cannot load it: not an ONNX model, or one with an operator or opset this runtime lacks',
      );
    }
  }

  /**
   * Runs the graph's input `input` on `rows` rows laid end to end in `values` (the input's element type) and
   * returns the named outputs' data.
   */
  run(input: string, values: Float32Array | Float64Array, rows: number, outputs: readonly string[]): OnnxOutputs {
    return this.prepare(input, values, rows, outputs)();
  }

  /**
   * The same run over one buffer the caller refills between calls: the input tensor (a view of
   * `values`, not a copy), the feeds, the fetches and the run options are made once, so a call
   * allocates only what onnxruntime answers. The single-row path predicts this way.
   */
  prepare(
    input: string,
    values: Float32Array | Float64Array,
    rows: number,
    outputs: readonly string[],
  ): () => OnnxOutputs {
    const feeds = { [input]: new this.runtime.Tensor(values, [rows, values.length / rows]) };
    const fetches = Object.fromEntries(outputs.map((name) => [name, null]));
    const native = this.native;
    return () => {
      const result = native.run(feeds, fetches, RUN_OPTIONS);
      const data: OnnxOutputs = {};
      for (const name of outputs) data[name] = (result[name] as Tensor).data;
      return data;
    };
  }
}
