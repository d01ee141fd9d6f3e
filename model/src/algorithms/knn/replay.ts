import type { KdTreeNodeJson, KnnModelJson } from 'ml-knn';

/** ml-knn's distance (rooted for euclidean) between x and the point at `base` in `points`. */
export type DistanceToFunction = (x: ArrayLike<number>, points: Float64Array, base: number) => number;

/** Generates ml-knn's metric for a fixed feature count, unrolled like the scan. */
export function compileDistanceTo(featureCount: number, manhattan: boolean): DistanceToFunction {
  const terms = Array.from({ length: featureCount }, (_, j) =>
    manhattan ? `Math.abs(x[${j}] - P[b + ${j}])` : `(x[${j}] - P[b + ${j}]) * (x[${j}] - P[b + ${j}])`,
  );
  // Summed left to right from 0, exactly as ml-distance-euclidean and `manhattan` do.
  const sum = `0 + ${terms.join(' + ')}`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from integers only
  return new Function('x', 'P', 'b', `return ${manhattan ? sum : `Math.sqrt(${sum})`};`) as DistanceToFunction;
}

interface FlatNode {
  obj: number[];
  dimension: number;
  leftIndex: number;
  rightIndex: number;
}

/** ml-knn's k-d tree as an array, root first, children by index (-1 for none). */
function flattenTree(root: KdTreeNodeJson | null): FlatNode[] {
  const out: FlatNode[] = [];
  const add = (node: KdTreeNodeJson | null): number => {
    if (!node) return -1;
    const index = out.length;
    const flat: FlatNode = { obj: node.obj, dimension: node.dimension, leftIndex: -1, rightIndex: -1 };
    out.push(flat);
    flat.leftIndex = add(node.left);
    flat.rightIndex = add(node.right);
    return index;
  };
  add(root);
  return out;
}

/**
 * ml-knn's `predict`, replayed on flat arrays: the same tree, visit order, heap and vote loop, so
 * the same answer when distances or votes tie (where the order decides). Slower than the scan;
 * the kernel calls it only for ties.
 */
export class MlKnnReplay {
  readonly size: number;
  // Node i's point is points[i*featureCount ..], its class labels[i].
  readonly points: Float64Array;
  readonly labels: Int32Array;
  // ml-knn's heap after a replay: node indexes and rooted distances, heapSize of them; its votes.
  readonly heapDistance: Float64Array;
  readonly heapIndex: Int32Array;
  readonly votes: Int32Array;
  heapSize = 0;
  private readonly splitDimension: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;

  constructor(
    model: KnnModelJson,
    private readonly featureCount: number,
    classCount: number,
    private readonly distanceFn: DistanceToFunction,
  ) {
    const nodes = flattenTree(model.kdTree);
    this.size = nodes.length;
    this.points = new Float64Array(this.size * featureCount);
    this.labels = new Int32Array(this.size);
    this.splitDimension = new Int32Array(this.size);
    this.left = new Int32Array(this.size);
    this.right = new Int32Array(this.size);
    nodes.forEach((node, i) => {
      for (let j = 0; j < featureCount; j++) this.points[i * featureCount + j] = node.obj[j] as number;
      this.labels[i] = node.obj[featureCount] as number;
      this.splitDimension[i] = model.kdTree.dimensions[node.dimension] ?? node.dimension;
      this.left[i] = node.leftIndex;
      this.right[i] = node.rightIndex;
    });
    this.heapDistance = new Float64Array(model.k + 1);
    this.heapIndex = new Int32Array(model.k + 1);
    this.votes = new Int32Array(Math.max(classCount, 1));
  }

  private get k(): number {
    return this.heapDistance.length - 1;
  }

  /**
   * Replays ml-knn's `nearest` (depth first, nearer child first, a max-heap on distance that keeps
   * a point only when strictly nearer than the current worst) and its vote loop; returns its label.
   */
  predict(x: ArrayLike<number>): number {
    this.heapSize = 0;
    if (this.size > 0) this.visit(x, 0);
    const { votes, labels, heapIndex } = this;
    votes.fill(0);
    let predicted = -1;
    let maxVotes = -1;
    for (let q = 0; q < this.heapSize; q++) {
      const c = labels[heapIndex[q] as number] as number;
      const v = (votes[c] = (votes[c] as number) + 1);
      if (v > maxVotes) {
        predicted = c;
        maxVotes = v;
      }
    }
    return predicted;
  }

  private visit(x: ArrayLike<number>, node: number): void {
    const own = this.distanceFn(x, this.points, node * this.featureCount);
    const left = this.left[node] as number;
    const right = this.right[node] as number;
    if (left < 0 && right < 0) {
      if (this.heapSize < this.k || own < (this.heapDistance[0] as number)) this.save(node, own);
      return;
    }
    const dim = this.splitDimension[node] as number;
    let nearer: number;
    if (right < 0) nearer = left;
    else if (left < 0) nearer = right;
    // On the label dimension ml-knn compares undefined < number, which is false: it goes right.
    else
      nearer =
        dim < this.featureCount && (x[dim] as number) < (this.points[node * this.featureCount + dim] as number)
          ? left
          : right;
    this.visit(x, nearer);
    if (this.heapSize < this.k || own < (this.heapDistance[0] as number)) this.save(node, own);
    // ml-knn's pruning distance is always 0, so it skips the far side only when its worst kept
    // distance is 0 as well.
    if (this.heapSize < this.k || 0 < (this.heapDistance[0] as number)) {
      const farther = nearer === left ? right : left;
      if (farther >= 0) this.visit(x, farther);
    }
  }

  /** ml-knn's saveNode: push onto its max-heap, then pop the root if over k. */
  private save(node: number, distance: number): void {
    const { heapDistance: dist, heapIndex: idx } = this;
    // Push and bubble up: a child rises above its parent only when strictly farther.
    let n = this.heapSize++;
    dist[n] = distance;
    idx[n] = node;
    while (n > 0) {
      const parent = ((n + 1) >> 1) - 1;
      if ((dist[n] as number) > (dist[parent] as number)) {
        this.swap(n, parent);
        n = parent;
      } else break;
    }
    if (this.heapSize > this.k) this.popRoot();
  }

  /** ml-knn's pop: the last element replaces the root and sinks. */
  private popRoot(): void {
    const { heapDistance: dist, heapIndex: idx } = this;
    const last = --this.heapSize;
    dist[0] = dist[last] as number;
    idx[0] = idx[last] as number;
    let n = 0;
    const length = this.heapSize;
    for (;;) {
      const child2 = (n + 1) * 2;
      const child1 = child2 - 1;
      let swap = -1;
      if (child1 < length && (dist[child1] as number) > (dist[n] as number)) swap = child1;
      if (child2 < length && (dist[child2] as number) > (swap < 0 ? (dist[n] as number) : (dist[child1] as number)))
        swap = child2;
      if (swap < 0) break;
      this.swap(n, swap);
      n = swap;
    }
  }

  private swap(a: number, b: number): void {
    const { heapDistance: dist, heapIndex: idx } = this;
    const d = dist[a] as number;
    dist[a] = dist[b] as number;
    dist[b] = d;
    const i = idx[a] as number;
    idx[a] = idx[b] as number;
    idx[b] = i;
  }
}
