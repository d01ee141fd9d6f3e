/**
 * Jest's node environment, with the typed-array constructors of the process itself. Jest runs each
 * test file in its own V8 context, whose Float32Array is not the one native addons create arrays
 * with: onnxruntime-node builds output tensors in the main context, and its Tensor class (loaded in
 * the test's context) refuses them with "A float32 tensor's data must be type of … Float32Array".
 * Sharing the constructors makes a test see what the server and the CLIs see.
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class ProcessTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = ProcessTypedArraysEnvironment;
