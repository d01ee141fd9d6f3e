import type { KdTreeNodeJson, KnnModelJson } from 'ml-knn';
import type { LoadInput, ScikitLearnReference } from '../port';
import type { KnnParams } from './describe';

/** What scikit-learn needs to rebuild a served model: its standardization, k, metric and training points. */
export interface KnnSpec {
  name: string;
  k: number;
  metric: 'euclidean' | 'manhattan';
  mean: number[];
  std: number[];
  /** Standardized training points, as stored in ml-knn's tree (`obj` = features then the class index). */
  points: number[][];
  labels: string[];
  classNames: string[];
  featureCount: number;
}

/** Walks ml-knn's toJSON() k-d tree for the training points and their labels. */
export function knnSpec(name: string, artifact: LoadInput<KnnParams, KnnModelJson>): KnnSpec {
  const featureCount = artifact.featureNames.length;
  const points: number[][] = [];
  const labels: string[] = [];
  const stack: KdTreeNodeJson[] = [artifact.model.kdTree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    points.push(node.obj.slice(0, featureCount));
    labels.push(artifact.classNames[node.obj[featureCount]!]!);
    if (node.left) stack.push(node.left);
    if (node.right) stack.push(node.right);
  }
  return {
    name,
    k: artifact.hyperparameters.k,
    metric: artifact.hyperparameters.distance,
    mean: [...artifact.preprocessing.mean],
    std: [...artifact.preprocessing.std],
    points,
    labels,
    classNames: [...artifact.classNames],
    featureCount,
  };
}

/** scikit-learn's KNeighborsClassifier, rebuilt from the artifact (tools/python/sklearn_knn.py). */
export const knnScikitLearn: ScikitLearnReference<KnnParams, KnnModelJson> = {
  script: 'tools/python/sklearn_knn.py',
  spec: (name, artifact) => ({ ...knnSpec(name, artifact) }),
};
