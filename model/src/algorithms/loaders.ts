import { loadKnn } from './knn/load';
import { loadOnnx } from './onnx/load';
import type { LoadInput, Predictor } from './port';

/**
 * Each algorithm's `load` alone, by name: what the batch prediction thread needs. Importing
 * index.ts there bundled every algorithm's training code, schemas and libraries into the thread
 * (10 KB became 475 KB, and the thread's isolate took ~9 MB more RSS). A test keeps this list
 * equal to index.ts's, load for load.
 */
const LOADERS: Readonly<Record<string, (input: LoadInput<never, never>) => Predictor>> = {
  knn: loadKnn,
  onnx: loadOnnx,
};

/** The names this list has, for the test that keeps it in step with index.ts. */
export function loaderNames(): string[] {
  return Object.keys(LOADERS);
}

/** Loads a predictor with the algorithm called `name`; throws naming the known ones for any other. */
export function loadWith(name: string, input: LoadInput<unknown, unknown>): Predictor {
  const load = Object.hasOwn(LOADERS, name) ? LOADERS[name] : undefined;
  if (!load)
    throw new Error(
      `the batch thread has no loader for algorithm ${JSON.stringify(name)}; known: ${loaderNames().join(', ')}`,
    );
  return load(input as LoadInput<never, never>);
}
