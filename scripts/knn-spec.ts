import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface TreeNode {
  obj: number[];
  left?: TreeNode | null;
  right?: TreeNode | null;
}
/** The parts of a model.json (or of an in-memory artifact) scikit-learn needs. */
export interface KnnArtifact {
  dataset: { classNames: string[]; featureNames: string[] };
  preprocessing: { mean: number[]; std: number[] };
  hyperparameters: { k: number; distance: 'euclidean' | 'manhattan' };
  model: unknown;
}

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

/** Reads `<modelDir>/<name>/current`'s model.json and turns it into a {@link KnnSpec}. */
export function knnSpecOf(modelDir: string, name: string): KnnSpec {
  const version = readFileSync(join(modelDir, name, 'current'), 'utf8').trim();
  return knnSpecFromArtifact(name, JSON.parse(readFileSync(join(modelDir, name, version, 'model.json'), 'utf8')) as KnnArtifact);
}

/** Walks ml-knn's toJSON() k-d tree for the training points and their labels. */
export function knnSpecFromArtifact(name: string, artifact: KnnArtifact): KnnSpec {
  const featureCount = artifact.dataset.featureNames.length;
  const points: number[][] = [];
  const labels: string[] = [];
  const stack: TreeNode[] = [(artifact.model as { kdTree: TreeNode }).kdTree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    points.push(node.obj.slice(0, featureCount));
    labels.push(artifact.dataset.classNames[node.obj[featureCount]!]!);
    if (node.left) stack.push(node.left);
    if (node.right) stack.push(node.right);
  }
  return {
    name,
    k: artifact.hyperparameters.k,
    metric: artifact.hyperparameters.distance,
    mean: artifact.preprocessing.mean,
    std: artifact.preprocessing.std,
    points,
    labels,
    classNames: artifact.dataset.classNames,
    featureCount,
  };
}
