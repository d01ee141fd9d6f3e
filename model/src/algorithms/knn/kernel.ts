import type { KnnModelJson } from 'ml-knn';
import type { DistanceName } from './ml-knn';
import type { DistanceToFunction } from './replay';
import { compileDistanceTo, MlKnnReplay } from './replay';
import type { ScanFunction } from './scan';
import { compileScan, principalAxis, seedTable } from './scan';

/** One of the k nearest training rows. `features` are standardized, as the model sees them. */
export interface Neighbour {
  label: number;
  distance: number;
  features: number[];
}

/** A prediction with its evidence. */
export interface Explanation {
  label: number;
  /** Votes per class divided by k, indexed by class. */
  probabilities: number[];
  /** Nearest first. */
  neighbours: Neighbour[];
}

/**
 * The serving kernel: an exact k-nearest-neighbours classifier that answers as ml-knn does.
 *
 * Why not ml-knn's `predict`: its k-d tree computes the pruning distance on a plain object, gets 0,
 * and so visits every node through recursion and closures (~40-60 µs per Iris row), and it returns
 * neither votes nor neighbours.
 *
 * Fast path (`scan.ts`): points sorted by their projection on the data's principal axis; a
 * query seeds a max-heap of k+1 with the points nearest its own projection, then walks outward on
 * both sides until the gap along the axis (a lower bound of the distance) exceeds the heap's worst.
 *
 * Agreement with ml-knn: when the k-th and (k+1)-th distances differ and one class has the most
 * votes, ml-knn's answer cannot depend on the order it visits points in, so the fast path's answer
 * is its answer. When either is tied, ml-knn's visit and heap order decide, so the kernel replays
 * ml-knn's traversal (`replay.ts`: same tree, same heap, same vote loop): slower, but its answer.
 */
export class KnnKernel {
  readonly k: number;
  readonly featureCount: number;
  readonly classCount: number;
  private readonly size: number;
  private readonly manhattan: boolean;
  private readonly replay: MlKnnReplay;
  // The points sorted by projection on the principal axis, for the fast path.
  private readonly sortedPoints: Float64Array;
  private readonly sortedLabels: Int32Array;
  private readonly scanFn: ScanFunction;
  private readonly distanceFn: DistanceToFunction;
  // Scratch space reused by every call: the hot path allocates nothing.
  private readonly heapDistance: Float64Array;
  private readonly heapIndex: Int32Array;
  private readonly votes: Int32Array;
  private heapSize = 0;
  private ties = 0;

  constructor(model: KnnModelJson, distance: DistanceName, featureCount: number) {
    this.k = model.k;
    this.featureCount = featureCount;
    this.classCount = model.classes.length === 0 ? 0 : Math.max(...model.classes) + 1;
    this.manhattan = distance === 'manhattan';
    this.distanceFn = compileDistanceTo(featureCount, this.manhattan);
    this.replay = new MlKnnReplay(model, featureCount, this.classCount, this.distanceFn);
    const { points, labels } = this.replay;
    this.size = this.replay.size;
    const axis = principalAxis(points, this.size, featureCount);
    const pointAt = (i: number): Float64Array => points.subarray(i * featureCount, (i + 1) * featureCount);
    const order = Array.from({ length: this.size }, (_, i) => ({ node: i, p: project(pointAt(i), axis) }));
    order.sort((a, b) => a.p - b.p || a.node - b.node);
    this.sortedLabels = Int32Array.from(order, (e) => labels[e.node] as number);
    this.sortedPoints = new Float64Array(this.size * featureCount);
    order.forEach((e, r) => this.sortedPoints.set(pointAt(e.node), r * featureCount));
    // One more than the heap: the scan keeps a sentinel past its end.
    this.heapDistance = new Float64Array(this.k + 2);
    this.heapIndex = new Int32Array(this.k + 1);
    this.votes = new Int32Array(Math.max(this.classCount, 1));
    const keep = this.k + 1;
    this.scanFn = compileScan({
      featureCount,
      manhattan: this.manhattan,
      keep,
      axis,
      points: this.sortedPoints,
      projected: Float64Array.from(order, (e) => e.p),
      labels: this.sortedLabels,
      seeds:
        this.size > this.k
          ? seedTable(this.sortedPoints, this.size, featureCount, keep, this.manhattan)
          : new Int32Array(0),
      heapDistance: this.heapDistance,
      heapIndex: this.heapIndex,
      votes: this.votes,
    });
  }

  /** How many predictions so far had a tie and replayed ml-knn's traversal. */
  get tieCount(): number {
    return this.ties;
  }

  /** The predicted class index for one standardized row (length featureCount, finite numbers). */
  predict(x: ArrayLike<number>): number {
    const label = this.fastPath(x);
    if (label >= 0) return label;
    this.ties++;
    return this.replay.predict(x);
  }

  /** The prediction with class probabilities and the k neighbours, nearest first. */
  explain(x: ArrayLike<number>): Explanation {
    let label = this.fastPath(x);
    let found: Neighbour[];
    let votes = this.votes;
    if (label >= 0) found = this.scannedNeighbours(x);
    else {
      this.ties++;
      label = this.replay.predict(x);
      found = this.replayedNeighbours();
      votes = this.replay.votes;
    }
    // Stable sort: equal distances keep the order they were found in.
    found.sort((a, b) => a.distance - b.distance);
    return { label, probabilities: Array.from(votes, (v) => v / found.length), neighbours: found };
  }

  /** The fast path's neighbours, in heap order. */
  private scannedNeighbours(x: ArrayLike<number>): Neighbour[] {
    // Heap slot 0 holds the (k+1)-th nearest unless every point is a neighbour.
    const first = this.size > this.k ? 1 : 0;
    const d = this.featureCount;
    const found: Neighbour[] = [];
    for (let q = first; q < this.heapSize; q++) {
      const r = this.heapIndex[q] as number;
      const scanned = this.heapDistance[q] as number;
      found.push({
        label: this.sortedLabels[r] as number,
        // With no scan (every point a neighbour) there is no scanned distance to reuse.
        distance:
          first === 0 ? this.distanceFn(x, this.sortedPoints, r * d) : this.manhattan ? scanned : Math.sqrt(scanned),
        features: Array.from(this.sortedPoints.subarray(r * d, (r + 1) * d)),
      });
    }
    return found;
  }

  /** ml-knn's neighbours after a replay, in its heap order. */
  private replayedNeighbours(): Neighbour[] {
    const { heapIndex, heapDistance, heapSize, labels, points } = this.replay;
    const d = this.featureCount;
    return Array.from(heapIndex.subarray(0, heapSize), (node, q) => ({
      label: labels[node] as number,
      distance: heapDistance[q] as number,
      features: Array.from(points.subarray(node * d, (node + 1) * d)),
    }));
  }

  /**
   * The k nearest's majority class, or -1 when the k-th and (k+1)-th distances tie or two classes
   * share the most votes. Leaves the neighbours in the heap arrays for `explain`.
   */
  private fastPath(x: ArrayLike<number>): number {
    if (this.size > this.k) {
      this.heapSize = this.k + 1;
      return this.scanFn(x);
    }
    // Every point is a neighbour: no scan, no boundary; only the vote can tie.
    const { size, heapDistance: H, heapIndex: I, votes, sortedLabels } = this;
    votes.fill(0);
    for (let r = 0; r < size; r++) {
      H[r] = 0;
      I[r] = r;
      const c = sortedLabels[r] as number;
      votes[c] = (votes[c] as number) + 1;
    }
    this.heapSize = size;
    const top = Math.max(...votes);
    return votes.indexOf(top) === votes.lastIndexOf(top) ? votes.indexOf(top) : -1;
  }
}

function project(x: ArrayLike<number>, axis: Float64Array): number {
  let p = 0;
  for (let j = 0; j < axis.length; j++) p += (x[j] as number) * (axis[j] as number);
  return p;
}
