import KNN from 'ml-knn';
import type { DistanceFunction, KnnModelJson } from 'ml-knn';

export type DistanceName = 'euclidean' | 'manhattan';

/**
 * Manhattan distance for ml-knn. It loops over `a.length` exactly as ml-distance-euclidean does,
 * because ml-knn's tree also calls the metric with a plain object (no length) and expects 0 back.
 */
export const manhattan: DistanceFunction = (a, b) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs((a[i] as number) - (b[i] as number));
  return d;
};

/** The function to hand ml-knn; `undefined` selects its built-in euclidean (which it records in its JSON). */
function mlKnnDistance(distance: DistanceName): DistanceFunction | undefined {
  return distance === 'manhattan' ? manhattan : undefined;
}

/** Fits ml-knn on standardized rows and returns its serialisable model (plain JSON data). */
export function fitMlKnn(X: number[][], y: number[], k: number, distance: DistanceName): KnnModelJson {
  const distanceFn = mlKnnDistance(distance);
  const knn = new KNN(X, y, distanceFn ? { k, distance: distanceFn } : { k });
  return JSON.parse(JSON.stringify(knn.toJSON())) as KnnModelJson;
}

/** Loads an ml-knn model the way any ml-knn user would (from a copy: loading links parents into the tree). */
export function loadMlKnn(model: KnnModelJson, distance: DistanceName): KNN {
  return KNN.load(structuredClone(model), mlKnnDistance(distance));
}
