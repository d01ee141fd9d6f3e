/**
 * The serving kernel's fast path, generated per model: an exact search for the k+1 points nearest a
 * query, by a walk over the points sorted along the data's principal axis.
 */

/**
 * Fills the bound max-heap with the k+1 nearest of the bound sorted points to x (positions into
 * the sorted points, distances squared for euclidean), counts the k nearest's votes, and returns
 * the majority class, or -1 when the k-th and (k+1)-th distances tie or the vote does.
 */
export type ScanFunction = (x: ArrayLike<number>) => number;

/** What a scan is generated for, and the arrays it reads and writes (bound once, reused by every call). */
export interface ScanSetup {
  featureCount: number;
  manhattan: boolean;
  /** Heap size: k + 1. */
  keep: number;
  /** The unit principal axis. */
  axis: Float64Array;
  /** The training points sorted by projection on the axis, row after row. */
  points: Float64Array;
  /** Each sorted point's projection on the axis (ascending). */
  projected: Float64Array;
  /** Each sorted point's class. */
  labels: Int32Array;
  /** From {@link seedTable}: for each sorted position, `keep` positions to seed the heap with. */
  seeds: Int32Array;
  /**
   * Written by the scan: the heap's distances (squared for euclidean; keep + 1 long, the last a -Infinity sentinel) and
   * sorted positions.
   */
  heapDistance: Float64Array;
  heapIndex: Int32Array;
  /** Written by the scan: the k nearest's votes per class. */
  votes: Int32Array;
}

// Two boundary distances closer than this (relative) count as tied. It is far wider than any
// rounding between squared and rooted distances, so outside it the nearest set is unique.
const TIE_TOLERANCE = 1e-9;

/** Above this many points, seeds are projection windows: the exact table costs n² distances to build. */
const EXACT_SEED_LIMIT = 4096;

/** One row of the exact seed table: the `keep` positions nearest to point p (itself included). */
function nearestPositions(points: Float64Array, d: number, p: number, keep: number, manhattan: boolean): number[] {
  const size = points.length / d;
  const distances = new Float64Array(size);
  for (let r = 0; r < size; r++) {
    let dist = 0;
    for (let j = 0; j < d; j++) {
      const t = (points[p * d + j] as number) - (points[r * d + j] as number);
      dist += manhattan ? Math.abs(t) : t * t;
    }
    distances[r] = dist;
  }
  const order = Array.from({ length: size }, (_, i) => i);
  order.sort((a, b) => (distances[a] as number) - (distances[b] as number) || a - b);
  return order.slice(0, keep);
}

/**
 * For each sorted position, the `keep` positions whose points are nearest to its point (itself
 * included), row after row; past EXACT_SEED_LIMIT points, the `keep` positions around it in
 * projection order instead. Any seed is correct (the walk still visits every point within reach);
 * a close one makes the walk short.
 */
export function seedTable(points: Float64Array, size: number, d: number, keep: number, manhattan: boolean): Int32Array {
  const table = new Int32Array(size * keep);
  for (let p = 0; p < size; p++) {
    if (size > EXACT_SEED_LIMIT) {
      const start = Math.min(Math.max(p - (keep >> 1), 0), size - keep);
      for (let q = 0; q < keep; q++) table[p * keep + q] = start + q;
    } else {
      table.set(nearestPositions(points, d, p, keep, manhattan), p * keep);
    }
  }
  return table;
}

/** Source text shared by the generated pieces: the query's loads, one point's differences and its distance. */
function distanceSource(d: number, manhattan: boolean): { load: string; diffs: string; sum: string } {
  return {
    load: Array.from({ length: d }, (_, j) => `const x${j} = x[${j}];`).join(' '),
    // Each difference is computed once into a local; V8 does not reliably merge repeated loads.
    diffs: Array.from({ length: d }, (_, j) => `const t${j} = x${j} - P[b + ${j}];`).join(' '),
    sum: Array.from({ length: d }, (_, j) => (manhattan ? `Math.abs(t${j})` : `t${j} * t${j}`)).join(' + '),
  };
}

/**
 * The walk from the anchor towards one end of the sorted points, stopping where the axis gap rules every further point
 * out.
 */
function walkSource(setup: ScanSetup, downwards: boolean): string {
  const { diffs, sum } = distanceSource(setup.featureCount, setup.manhattan);
  // A gap along the unit principal axis bounds the euclidean distance (and so the manhattan one)
  // from below; the bound is compared in the same units as the heap (squared for euclidean).
  const gapBeyond = setup.manhattan ? 'g > W * (1 + 1e-8) + 1e-12' : 'g * g > W * (1 + 1e-8) + 1e-12';
  const loop = downwards ? 'for (let r = p; r >= 0; r--)' : 'for (let r = p + 1; r < n; r++)';
  return `
    ${loop} {
      const g = ${downwards ? 'px - R[r]' : 'R[r] - px'};
      if (${gapBeyond}) break;
      if (M[r] === stamp) continue;
      const b = r * ${setup.featureCount};
      ${diffs}
      const dist = ${sum};
      if (dist < W) { sift(0, dist, r); W = H[0]; }
    }`;
}

/** The scan's body: anchor, seed, walk both ways, then the boundary tie check and the vote. */
function scanSource(setup: ScanSetup): string {
  const { featureCount: d, keep } = setup;
  const { load, diffs, sum } = distanceSource(d, setup.manhattan);
  // String(number) round-trips exactly, so the literal axis is the computed one.
  const projection = Array.from(setup.axis, (a, j) => `x${j} * ${String(a)}`).join(' + ');
  return `
    ${load}
    const px = ${projection};
    const n = ${setup.projected.length};
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
    for (let q = 0; q < keep; q++) {
      const r = S[s0 + q]; M[r] = stamp; const b = r * ${d}; ${diffs} H[q] = ${sum}; I[q] = r;
    }
    for (let q = (keep >> 1) - 1; q >= 0; q--) sift(q, H[q], I[q]);
    let W = H[0];
    ${walkSource(setup, true)}
    ${walkSource(setup, false)}
    // Slot 0 is the (k+1)-th nearest; the k-th is the larger of its children.
    const kth = ${keep >= 3 ? 'H[1] > H[2] ? H[1] : H[2]' : 'H[1]'};
    if (W <= kth * (1 + ${TIE_TOLERANCE})) return -1;
    V.fill(0);
    for (let q = 1; q < ${keep}; q++) V[L[I[q]]]++;
    let best = 0, top = V[0], tied = false;
    for (let c = 1; c < ${setup.votes.length}; c++) {
      const v = V[c];
      if (v > top) { best = c; top = v; tied = false; } else if (v === top) tied = true;
    }
    return tied ? -1 : best;
  `;
}

type ScanFactory = (
  ...bound: [Float64Array, Float64Array, Float64Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array]
) => ScanFunction;

/**
 * Generates the fast-path scan for a fixed feature count and metric. Unrolling the distance with
 * the query held in locals makes it about twice as fast as a loop over features; the generated
 * source contains only integers chosen here, never data.
 */
export function compileScan(setup: ScanSetup): ScanFunction {
  // The arrays are bound once per kernel; sift lives beside scan so no closure is made per call.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- integers and this file's text, see above
  const factory = new Function(
    'P',
    'R',
    'H',
    'I',
    'L',
    'V',
    'S',
    'M',
    `
    const keep = ${setup.keep};
    let stamp = 0;
    // H[keep] holds -Infinity, so a missing right child is never the larger and the child is
    // chosen without a branch (the comparison's outcome is random: a branch mispredicts half the time).
    function sift(at, dist, index) {
      for (;;) {
        const c1 = 2 * at + 1;
        if (c1 >= keep) break;
        const c = c1 + ((H[c1 + 1] > H[c1]) | 0);
        if (H[c] <= dist) break;
        H[at] = H[c]; I[at] = I[c]; at = c;
      }
      H[at] = dist; I[at] = index;
    }
    return function scan(x) {${scanSource(setup)}};`,
  ) as ScanFactory;
  const { points, projected, heapDistance, heapIndex, labels, votes, seeds } = setup;
  if (heapDistance.length !== setup.keep + 1)
    throw new Error(`the heap needs keep + 1 = ${setup.keep + 1} distance slots, got ${heapDistance.length}`);
  heapDistance[setup.keep] = -Infinity;
  return factory(points, projected, heapDistance, heapIndex, labels, votes, seeds, new Int32Array(projected.length));
}

/**
 * The unit direction of largest variance (power iteration on the covariance, from a fixed start,
 * so it is deterministic). Projections on it order points so that near ones are found first.
 */
export function principalAxis(points: Float64Array, size: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (points[i * d + j] as number) / size;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < size; i++) {
    for (let a = 0; a < d; a++) {
      const da = (points[i * d + a] as number) - (mean[a] as number);
      for (let b = 0; b < d; b++)
        cov[a * d + b] = (cov[a * d + b] as number) + da * ((points[i * d + b] as number) - (mean[b] as number));
    }
  }
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  for (let iteration = 0; iteration < 100; iteration++) {
    const next = new Float64Array(d);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) next[a] = (next[a] as number) + (cov[a * d + b] as number) * (v[b] as number);
    const norm = Math.hypot(...next);
    if (!(norm > 0)) break;
    v = next.map((value) => value / norm);
  }
  return v;
}
