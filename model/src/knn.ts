import KNN from 'ml-knn';
import type { DistanceFunction, KdTreeNodeJson, KnnModelJson } from 'ml-knn';

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

// Two boundary distances closer than this (relative) count as tied. It is far wider than any
// rounding between squared and rooted distances, so outside it the nearest set is unique.
const TIE_TOLERANCE = 1e-9;

/**
 * Fills the bound max-heap with the k+1 nearest of the bound sorted points to x (positions into
 * the sorted points, distances squared for euclidean), counts the k nearest's votes, and returns
 * the majority class, or -1 when the k-th and (k+1)-th distances tie or the vote does.
 */
type ScanFunction = (x: ArrayLike<number>) => number;

/** Above this many points, seeds are projection windows: the exact table costs n² distances to build. */
const EXACT_SEED_LIMIT = 4096;

/**
 * For each sorted position, the `keep` positions whose points are nearest to its point (itself
 * included), row after row; past EXACT_SEED_LIMIT points, the `keep` positions around it in
 * projection order instead. Any seed is correct (the walk still visits every point within reach);
 * a close one makes the walk short.
 */
function seedTable(points: Float64Array, size: number, d: number, keep: number, manhattan: boolean): Int32Array {
  const table = new Int32Array(size * keep);
  const distances = new Float64Array(size);
  const order = Array.from({ length: size }, (_, i) => i);
  for (let p = 0; p < size; p++) {
    if (size > EXACT_SEED_LIMIT) {
      const start = Math.min(Math.max(p - (keep >> 1), 0), size - keep);
      for (let q = 0; q < keep; q++) table[p * keep + q] = start + q;
      continue;
    }
    for (let r = 0; r < size; r++) {
      let dist = 0;
      for (let j = 0; j < d; j++) {
        const t = (points[p * d + j] as number) - (points[r * d + j] as number);
        dist += manhattan ? Math.abs(t) : t * t;
      }
      distances[r] = dist;
    }
    order.sort((a, b) => (distances[a] as number) - (distances[b] as number) || a - b);
    for (let q = 0; q < keep; q++) table[p * keep + q] = order[q] as number;
  }
  return table;
}

/** ml-knn's distance (rooted for euclidean) between x and the point at `base` in `points`. */
type DistanceToFunction = (x: ArrayLike<number>, points: Float64Array, base: number) => number;

/**
 * Generates the fast-path scan for a fixed feature count and metric. Unrolling the distance with
 * the query held in locals makes it about twice as fast as a loop over features; the generated
 * source contains only integers chosen here, never data.
 */
function compileScan(
  featureCount: number,
  manhattan: boolean,
  points: Float64Array,
  projected: Float64Array,
  heapDistance: Float64Array,
  heapIndex: Int32Array,
  keep: number,
  axis: Float64Array,
  sortedLabels: Int32Array,
  votes: Int32Array,
  seeds: Int32Array,
): ScanFunction {
  const d = featureCount;
  // String(number) round-trips exactly, so the literal axis is the computed one.
  const projection = Array.from(axis, (a, j) => `x${j} * ${String(a)}`).join(' + ');
  const load = Array.from({ length: d }, (_, j) => `const x${j} = x[${j}];`).join(' ');
  // Each difference is computed once into a local; V8 does not reliably merge repeated loads.
  const diffs = Array.from({ length: d }, (_, j) => `const t${j} = x${j} - P[b + ${j}];`).join(' ');
  const sum = Array.from({ length: d }, (_, j) => (manhattan ? `Math.abs(t${j})` : `t${j} * t${j}`)).join(' + ');
  // A gap along the unit principal axis bounds the euclidean distance (and so the manhattan one)
  // from below; the bound is compared in the same units as the heap (squared for euclidean).
  const gapBeyond = manhattan ? 'g > W * (1 + 1e-8) + 1e-12' : 'g * g > W * (1 + 1e-8) + 1e-12';
  const body = `
    ${load}
    const px = ${projection};
    const n = ${projected.length};
    let lo = 0, hi = n;
    while (lo < hi) { const m = (lo + hi) >>> 1; if (R[m] < px) lo = m + 1; else hi = m; }
    // Anchor on the point nearest in projection, and seed the heap with its precomputed k+1
    // nearest points: for a query near the data they are nearly its own, so the walk below finds
    // few better ones and stops early. Seeded points are stamped so the walk skips them.
    let p = lo;
    if (p >= n || (p > 0 && px - R[p - 1] <= R[p] - px)) p = p - 1;
    stamp = (stamp + 1) | 0;
    if (stamp === 0) { M.fill(0); stamp = 1; }
    const s0 = p * keep;
    for (let q = 0; q < keep; q++) { const r = S[s0 + q]; M[r] = stamp; const b = r * ${d}; ${diffs} H[q] = ${sum}; I[q] = r; }
    for (let q = (keep >> 1) - 1; q >= 0; q--) sift(q, H[q], I[q]);
    let W = H[0];
    for (let r = p; r >= 0; r--) {
      const g = px - R[r];
      if (${gapBeyond}) break;
      if (M[r] === stamp) continue;
      const b = r * ${d};
      ${diffs}
      const dist = ${sum};
      if (dist < W) { sift(0, dist, r); W = H[0]; }
    }
    for (let r = p + 1; r < n; r++) {
      const g = R[r] - px;
      if (${gapBeyond}) break;
      if (M[r] === stamp) continue;
      const b = r * ${d};
      ${diffs}
      const dist = ${sum};
      if (dist < W) { sift(0, dist, r); W = H[0]; }
    }
    // Slot 0 is the (k+1)-th nearest; the k-th is the larger of its children.
    const kth = ${keep >= 3 ? 'H[1] > H[2] ? H[1] : H[2]' : 'H[1]'};
    if (W <= kth * (1 + ${TIE_TOLERANCE})) return -1;
    V.fill(0);
    for (let q = 1; q < ${keep}; q++) V[L[I[q]]]++;
    let best = 0, top = V[0], tied = false;
    for (let c = 1; c < ${votes.length}; c++) {
      const v = V[c];
      if (v > top) { best = c; top = v; tied = false; } else if (v === top) tied = true;
    }
    return tied ? -1 : best;
  `;
  // The arrays are bound once per kernel; sift lives beside scan so no closure is made per call.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from integers and this file's own text, see above
  const factory = new Function('P', 'R', 'H', 'I', 'L', 'V', 'S', 'M', `
    const keep = ${keep};
    let stamp = 0;
    function sift(at, dist, index) {
      for (;;) {
        const c1 = 2 * at + 1;
        if (c1 >= keep) break;
        let c = c1;
        if (c1 + 1 < keep && H[c1 + 1] > H[c1]) c = c1 + 1;
        if (H[c] <= dist) break;
        H[at] = H[c]; I[at] = I[c]; at = c;
      }
      H[at] = dist; I[at] = index;
    }
    return function scan(x) {${body}};`) as (...bound: [Float64Array, Float64Array, Float64Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array]) => ScanFunction;
  return factory(points, projected, heapDistance, heapIndex, sortedLabels, votes, seeds, new Int32Array(projected.length));
}

/** Generates ml-knn's metric for a fixed feature count, unrolled like the scan. */
function compileDistanceTo(featureCount: number, manhattan: boolean): DistanceToFunction {
  const terms = Array.from({ length: featureCount }, (_, j) =>
    manhattan ? `Math.abs(x[${j}] - P[b + ${j}])` : `(x[${j}] - P[b + ${j}]) * (x[${j}] - P[b + ${j}])`,
  );
  // Summed left to right from 0, exactly as ml-distance-euclidean and `manhattan` above do.
  const sum = `0 + ${terms.join(' + ')}`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from integers only
  return new Function('x', 'P', 'b', `return ${manhattan ? sum : `Math.sqrt(${sum})`};`) as DistanceToFunction;
}

/**
 * The serving kernel: an exact k-nearest-neighbours classifier that answers as ml-knn does.
 *
 * Why not ml-knn's `predict`: its k-d tree computes the pruning distance on a plain object, gets 0,
 * and so visits every node through recursion and closures (~40-60 µs per Iris row), and it returns
 * neither votes nor neighbours.
 *
 * Fast path: points sorted by their projection on the data's principal axis; a query seeds a
 * max-heap of k+1 with the points nearest its own projection, then walks outward on both sides
 * until the gap along the axis (a lower bound of the distance) exceeds the heap's worst.
 *
 * Agreement with ml-knn: when the k-th and (k+1)-th distances differ and one class has the most
 * votes, ml-knn's answer cannot depend on the order it visits points in, so the fast path's answer
 * is its answer. When either is tied, ml-knn's visit and heap order decide, so the kernel replays
 * ml-knn's traversal (same tree, same heap, same vote loop) on flat arrays: slower, but its answer.
 */
export class KnnKernel {
  readonly k: number;
  readonly featureCount: number;
  readonly classCount: number;
  private readonly size: number;
  private readonly manhattan: boolean;
  // The tree, flattened for the replay: node i's point is points[i*featureCount ..].
  private readonly points: Float64Array;
  private readonly labels: Int32Array;
  private readonly splitDimension: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  // The same points sorted by projection on the principal axis, for the fast path.
  private readonly axis: Float64Array;
  private readonly projected: Float64Array;
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
    this.axis = principalAxis(this.points, this.size, featureCount);
    const order = Array.from({ length: this.size }, (_, i) => ({ node: i, p: this.project(this.points.subarray(i * featureCount, (i + 1) * featureCount)) }));
    order.sort((a, b) => a.p - b.p || a.node - b.node);
    this.projected = Float64Array.from(order, (e) => e.p);
    this.sortedLabels = Int32Array.from(order, (e) => this.labels[e.node] as number);
    this.sortedPoints = new Float64Array(this.size * featureCount);
    order.forEach((e, r) => this.sortedPoints.set(this.points.subarray(e.node * featureCount, (e.node + 1) * featureCount), r * featureCount));
    this.heapDistance = new Float64Array(this.k + 1);
    this.heapIndex = new Int32Array(this.k + 1);
    this.votes = new Int32Array(Math.max(this.classCount, 1));
    const keep = this.k + 1;
    const seeds = this.size > this.k ? seedTable(this.sortedPoints, this.size, featureCount, keep, this.manhattan) : new Int32Array(0);
    this.scanFn = compileScan(featureCount, this.manhattan, this.sortedPoints, this.projected, this.heapDistance, this.heapIndex, keep, this.axis, this.sortedLabels, this.votes, seeds);
    this.distanceFn = compileDistanceTo(featureCount, this.manhattan);
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
    return this.replay(x);
  }

  /** The prediction with class probabilities and the k neighbours, nearest first. */
  explain(x: ArrayLike<number>): Explanation {
    let label = this.fastPath(x);
    let found: Array<{ label: number; distance: number; features: number[] }>;
    if (label >= 0) {
      // Heap slot 0 holds the (k+1)-th nearest unless every point is a neighbour.
      const first = this.size > this.k ? 1 : 0;
      const d = this.featureCount;
      found = [];
      for (let q = first; q < this.heapSize; q++) {
        const r = this.heapIndex[q] as number;
        const scanned = this.heapDistance[q] as number;
        found.push({
          label: this.sortedLabels[r] as number,
          // With no scan (every point a neighbour) there is no scanned distance to reuse.
          distance: first === 0 ? this.distanceFn(x, this.sortedPoints, r * d) : this.manhattan ? scanned : Math.sqrt(scanned),
          features: Array.from(this.sortedPoints.subarray(r * d, (r + 1) * d)),
        });
      }
    } else {
      this.ties++;
      label = this.replay(x);
      const d = this.featureCount;
      found = Array.from(this.heapIndex.subarray(0, this.heapSize), (node, q) => ({
        label: this.labels[node] as number,
        distance: this.heapDistance[q] as number,
        features: Array.from(this.points.subarray(node * d, (node + 1) * d)),
      }));
    }
    // Stable sort: equal distances keep the order they were found in.
    found.sort((a, b) => a.distance - b.distance);
    return { label, probabilities: Array.from(this.votes, (v) => v / found.length), neighbours: found };
  }

  private project(x: ArrayLike<number>): number {
    let p = 0;
    for (let j = 0; j < this.featureCount; j++) p += (x[j] as number) * (this.axis[j] as number);
    return p;
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

  /**
   * Tie path: replays ml-knn's `nearest` (depth first, nearer child first, a max-heap on distance
   * that keeps a point only when strictly nearer than the current worst) and its vote loop. Leaves
   * ml-knn's heap (node indexes, rooted distances) in heapIndex/heapDistance and the votes in
   * `votes`; returns ml-knn's label.
   */
  private replay(x: ArrayLike<number>): number {
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
    else nearer = dim < this.featureCount && (x[dim] as number) < (this.points[node * this.featureCount + dim] as number) ? left : right;
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
    if (this.heapSize <= this.k) return;
    // Pop: the last element replaces the root and sinks.
    const last = --this.heapSize;
    dist[0] = dist[last] as number;
    idx[0] = idx[last] as number;
    n = 0;
    const length = this.heapSize;
    for (;;) {
      const child2 = (n + 1) * 2;
      const child1 = child2 - 1;
      let swap = -1;
      if (child1 < length && (dist[child1] as number) > (dist[n] as number)) swap = child1;
      if (child2 < length && (dist[child2] as number) > (swap < 0 ? (dist[n] as number) : (dist[child1] as number))) swap = child2;
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

/**
 * The unit direction of largest variance (power iteration on the covariance, from a fixed start,
 * so it is deterministic). Projections on it order points so that near ones are found first.
 */
function principalAxis(points: Float64Array, size: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < size; i++) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (points[i * d + j] as number) / size;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < size; i++) {
    for (let a = 0; a < d; a++) {
      const da = (points[i * d + a] as number) - (mean[a] as number);
      for (let b = 0; b < d; b++) cov[a * d + b] = (cov[a * d + b] as number) + da * ((points[i * d + b] as number) - (mean[b] as number));
    }
  }
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  for (let iteration = 0; iteration < 100; iteration++) {
    const next = new Float64Array(d);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) next[a] = (next[a] as number) + (cov[a * d + b] as number) * (v[b] as number);
    const norm = Math.hypot(...next);
    if (!(norm > 0)) break;
    v = next.map((value) => value / norm);
  }
  return v;
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
