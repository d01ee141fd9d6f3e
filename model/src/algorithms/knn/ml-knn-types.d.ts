// ml-knn 3 ships no type declarations; these cover the surface mlship uses.
declare module 'ml-knn' {
  export type DistanceFunction = (a: ArrayLike<number>, b: ArrayLike<number>) => number;

  /** A node of ml-knn's k-d tree as `toJSON()` writes it: the point's features plus its label last. */
  export interface KdTreeNodeJson {
    obj: number[];
    dimension: number;
    left: KdTreeNodeJson | null;
    right: KdTreeNodeJson | null;
    parent?: null;
  }

  export interface KnnModelJson {
    name: 'KNN';
    kdTree: KdTreeNodeJson & { dimensions: number[] };
    k: number;
    classes: number[];
    isEuclidean: boolean;
  }

  export interface KdTree {
    nearest(point: ArrayLike<number>, maxNodes: number): Array<[number[], number]>;
  }

  export default class KNN {
    constructor(dataset: number[][], labels: number[], options?: { k?: number; distance?: DistanceFunction });
    k: number;
    kdTree: KdTree;
    classes: Set<number>;
    static load(model: KnnModelJson, distance?: DistanceFunction): KNN;
    toJSON(): KnnModelJson;
    predict(row: number[]): number;
    predict(rows: number[][]): number[];
  }
}
