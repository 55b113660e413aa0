/**
 * Linear probe of frozen features: the standard read-out of what a self-supervised representation carries. A
 * multinomial logistic regression (softmax over `classes`, one weight row and one bias per class) is fitted on
 * standardised feature rows with an L2 penalty on the weights, and scored by per-class recall and balanced accuracy
 * on held-out rows. Here it asks how much anatomy the descriptor and the condition model encode: predict each body
 * voxel's ground-truth tissue from its features (`deno task probe`).
 *
 * Choices: features are standardised with the training rows' mean and population standard deviation (so the penalty
 * treats every channel alike, as sklearn users do with `StandardScaler`); the objective is the mean cross-entropy
 * (optionally class-weighted, `balanced`) plus `l2 / 2 · ‖W‖²` (biases unpenalised) — sklearn's
 * `LogisticRegression(C = 1 / (n · l2))` — minimised by L-BFGS
 * (10 pairs, Armijo backtracking) in float64. It is convex, so the fit does not depend on a seed.
 *
 * @module
 */

/** Options of {@linkcode fitLinearProbe}. */
export interface LinearProbeOptions {
  /** L2 penalty on the weights (of standardised features), per row of the mean loss. @default {1e-4} */
  l2?: number;
  /** Most L-BFGS iterations. @default {500} */
  maxIterations?: number;
  /** Stop when the largest gradient component is below this. @default {1e-6} */
  tolerance?: number;
  /**
   * Weigh each row by `n / (k · n_c)` for its class c (k = classes that have rows; sklearn's
   * `class_weight="balanced"`), so that rare classes count as much as common ones — the fit then aims at balanced
   * accuracy rather than accuracy. @default {false}
   */
  balanced?: boolean;
}

/** A fitted linear probe. */
export interface LinearProbe {
  /** Feature width D. */
  dim: number;
  /** Number of classes C. */
  classes: number;
  /** Per-feature mean and scale used to standardise rows (length D). */
  mean: Float64Array;
  scale: Float64Array;
  /** `[C, D]` weights on standardised features, row-major. */
  weights: Float64Array;
  /** `[C]` biases. */
  bias: Float64Array;
  /** Final objective (mean cross-entropy in nats + penalty). */
  loss: number;
  /** L-BFGS iterations run. */
  iterations: number;
  /** Whether the gradient tolerance was reached. */
  converged: boolean;
}

/** Held-out scores of a probe. */
export interface ProbeReport {
  /** Rows of each class in the true labels. */
  support: number[];
  /** Recall of each class (null where it has no row). */
  recall: (number | null)[];
  /** Fraction of rows predicted right. */
  accuracy: number;
  /** Mean recall over the classes that have rows (sklearn's `balanced_accuracy_score`). */
  balancedAccuracy: number;
}

function checkRows(x: Float32Array, n: number, dim: number, what: string): void {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`Cannot ${what}: dim is ${dim}: expected an integer ≥ 1`);
  if (x.length % dim !== 0) {
    throw new RangeError(`Cannot ${what}: ${x.length} values are not rows of ${dim}: expected a multiple of ${dim}`);
  }
  for (let p = 0; p < n * dim; p++) {
    if (!Number.isFinite(x[p])) {
      throw new RangeError(
        `Cannot ${what}: feature ${p % dim} of row ${Math.floor(p / dim)} is ${x[p]}: expected finite`,
      );
    }
  }
}

/**
 * Fits a multinomial logistic regression on feature rows.
 *
 * @param x `[n, dim]` feature rows, row-major (any units: they are standardised).
 * @param labels `n` class indices in `[0, classes)`.
 * @param dim Feature width D.
 * @param classes Number of classes C (≥ 2; classes without rows get a bias that tends to −∞, bounded by the stop).
 * @param options See {@linkcode LinearProbeOptions}.
 * @throws {RangeError} On no rows, mismatched lengths, a non-finite feature or a label out of range (naming the row).
 */
export function fitLinearProbe(
  x: Float32Array,
  labels: ArrayLike<number>,
  dim: number,
  classes: number,
  options: LinearProbeOptions = {},
): LinearProbe {
  const { l2 = 1e-4, maxIterations = 500, tolerance = 1e-6, balanced = false } = options;
  const what = "fit the linear probe";
  const n = labels.length;
  if (n === 0) throw new RangeError(`Cannot ${what}: no rows: expected at least one`);
  if (!Number.isInteger(classes) || classes < 2) {
    throw new RangeError(`Cannot ${what}: classes is ${classes}: expected an integer ≥ 2`);
  }
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw new RangeError(`Cannot ${what}: l2 is ${l2}: expected ≥ 0`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`Cannot ${what}: dim is ${dim}: expected an integer ≥ 1`);
  if (x.length !== n * dim) {
    throw new RangeError(`Cannot ${what}: ${x.length / dim} feature rows but ${n} labels: expected one label per row`);
  }
  checkRows(x, n, dim, what);
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const l = labels[r];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new RangeError(`Cannot ${what}: label of row ${r} is ${l}: expected an integer in [0, ${classes})`);
    }
    y[r] = l;
  }
  const mean = new Float64Array(dim), scale = new Float64Array(dim);
  for (let r = 0; r < n; r++) for (let d = 0; d < dim; d++) mean[d] += x[r * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < dim; d++) scale[d] += (x[r * dim + d] - mean[d]) ** 2;
  }
  for (let d = 0; d < dim; d++) {
    const sd = Math.sqrt(scale[d] / n);
    scale[d] = sd > 1e-12 ? sd : 1;
  }
  const xs = new Float64Array(n * dim);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < dim; d++) xs[r * dim + d] = (x[r * dim + d] - mean[d]) / scale[d];
  }
  const weight = new Float64Array(classes).fill(1);
  if (balanced) {
    const count = new Float64Array(classes);
    for (let r = 0; r < n; r++) count[y[r]]++;
    const present = count.filter((c) => c > 0).length;
    for (let c = 0; c < classes; c++) weight[c] = count[c] > 0 ? n / (present * count[c]) : 0;
  }
  const nw = classes * dim;
  const objective = (theta: Float64Array, grad: Float64Array) =>
    softmaxObjective(theta, grad, xs, y, weight, n, dim, classes, l2);
  const { theta, loss, iterations, converged } = lbfgs(objective, new Float64Array(nw + classes), {
    maxIterations,
    tolerance,
  });
  return {
    dim,
    classes,
    mean,
    scale,
    weights: theta.slice(0, nw),
    bias: theta.slice(nw),
    loss,
    iterations,
    converged,
  };
}

/** Mean (class-weighted) cross-entropy + l2/2 ‖W‖² at θ = [W (C×D), b (C)]; writes its gradient into `grad`. */
function softmaxObjective(
  theta: Float64Array,
  grad: Float64Array,
  xs: Float64Array,
  y: Int32Array,
  weight: Float64Array,
  n: number,
  dim: number,
  classes: number,
  l2: number,
): number {
  const nw = classes * dim;
  grad.fill(0);
  const z = new Float64Array(classes);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const o = r * dim;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = theta[nw + c];
      for (let d = 0; d < dim; d++) s += theta[c * dim + d] * xs[o + d];
      z[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(z[c] - max);
    const lse = max + Math.log(sum);
    const w = weight[y[r]];
    loss += w * (lse - z[y[r]]);
    for (let c = 0; c < classes; c++) {
      const g = w * (Math.exp(z[c] - lse) - (c === y[r] ? 1 : 0));
      if (g === 0) continue;
      grad[nw + c] += g;
      for (let d = 0; d < dim; d++) grad[c * dim + d] += g * xs[o + d];
    }
  }
  let penalty = 0;
  for (let p = 0; p < grad.length; p++) grad[p] /= n;
  for (let p = 0; p < nw; p++) {
    penalty += theta[p] * theta[p];
    grad[p] += l2 * theta[p];
  }
  return loss / n + 0.5 * l2 * penalty;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p] * b[p];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let p = 0; p < a.length; p++) m = Math.max(m, Math.abs(a[p]));
  return m;
}

/** Limited-memory BFGS (two-loop recursion, 10 pairs) with Armijo backtracking, from θ0. */
function lbfgs(
  f: (theta: Float64Array, grad: Float64Array) => number,
  theta0: Float64Array,
  { maxIterations, tolerance }: { maxIterations: number; tolerance: number },
): { theta: Float64Array; loss: number; iterations: number; converged: boolean } {
  const m = 10, size = theta0.length;
  let theta = theta0.slice(), grad = new Float64Array(size);
  let loss = f(theta, grad);
  const ss: Float64Array[] = [], ys: Float64Array[] = [], rhos: number[] = [];
  let iterations = 0;
  const dir = new Float64Array(size), alpha = new Float64Array(m);
  while (iterations < maxIterations && maxAbs(grad) > tolerance) {
    // Two-loop recursion: dir = −H·grad.
    for (let p = 0; p < size; p++) dir[p] = -grad[p];
    for (let i = ss.length - 1; i >= 0; i--) {
      alpha[i] = rhos[i] * dot(ss[i], dir);
      for (let p = 0; p < size; p++) dir[p] -= alpha[i] * ys[i][p];
    }
    const gamma = ss.length > 0
      ? dot(ss.at(-1)!, ys.at(-1)!) / dot(ys.at(-1)!, ys.at(-1)!)
      : 1 / Math.sqrt(dot(grad, grad));
    for (let p = 0; p < size; p++) dir[p] *= gamma;
    for (let i = 0; i < ss.length; i++) {
      const beta = rhos[i] * dot(ys[i], dir);
      for (let p = 0; p < size; p++) dir[p] += (alpha[i] - beta) * ss[i][p];
    }
    let slope = dot(grad, dir);
    if (!(slope < 0)) { // not a descent direction: forget the curvature pairs, go down the gradient
      ss.length = ys.length = rhos.length = 0;
      const g = 1 / Math.sqrt(dot(grad, grad));
      for (let p = 0; p < size; p++) dir[p] = -g * grad[p];
      slope = dot(grad, dir);
    }
    const next = new Float64Array(size), nextGrad = new Float64Array(size);
    let step = 1, nextLoss = Infinity;
    for (; step > 1e-20; step /= 2) {
      for (let p = 0; p < size; p++) next[p] = theta[p] + step * dir[p];
      nextLoss = f(next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
    }
    iterations++;
    if (!(nextLoss <= loss + 1e-4 * step * slope)) break; // no decrease left at float64 precision
    const s = new Float64Array(size), yv = new Float64Array(size);
    for (let p = 0; p < size; p++) {
      s[p] = next[p] - theta[p];
      yv[p] = nextGrad[p] - grad[p];
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      ss.push(s), ys.push(yv), rhos.push(1 / sy);
      if (ss.length > m) ss.shift(), ys.shift(), rhos.shift();
    }
    const improved = loss - nextLoss;
    [theta, grad, loss] = [next, nextGrad, nextLoss];
    if (improved <= 1e-15 * Math.max(1, Math.abs(loss))) break;
  }
  return { theta, loss, iterations, converged: maxAbs(grad) <= tolerance };
}

/**
 * Class probabilities of feature rows under a probe.
 *
 * @param probe A fitted probe.
 * @param x `[n, probe.dim]` rows, in the units the probe was fitted on.
 * @returns `[n, probe.classes]` probabilities, row-major, float64.
 * @throws {RangeError} On a row length that is not `probe.dim` or a non-finite feature.
 */
export function probeProbabilities(probe: LinearProbe, x: Float32Array): Float64Array {
  const { dim, classes, mean, scale, weights, bias } = probe;
  const n = x.length / dim;
  checkRows(x, n, dim, "apply the linear probe");
  const out = new Float64Array(n * classes);
  const xs = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < dim; d++) xs[d] = (x[r * dim + d] - mean[d]) / scale[d];
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = bias[c];
      for (let d = 0; d < dim; d++) s += weights[c * dim + d] * xs[d];
      out[r * classes + c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[r * classes + c] = Math.exp(out[r * classes + c] - max);
    for (let c = 0; c < classes; c++) out[r * classes + c] /= sum;
  }
  return out;
}

/**
 * The most probable class of each row (the first on ties).
 *
 * @param probe A fitted probe.
 * @param x `[n, probe.dim]` rows.
 * @returns `n` class indices.
 */
export function probePredict(probe: LinearProbe, x: Float32Array): Int32Array {
  const p = probeProbabilities(probe, x);
  const n = x.length / probe.dim, out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < probe.classes; c++) if (p[r * probe.classes + c] > p[r * probe.classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * Per-class recall, accuracy and balanced accuracy of predicted against true class indices.
 *
 * @param predicted Predicted class of each row.
 * @param labels True class of each row, in `[0, classes)`.
 * @param classes Number of classes.
 * @throws {RangeError} On lengths that differ, no rows, or a label out of range.
 */
export function probeReport(predicted: ArrayLike<number>, labels: ArrayLike<number>, classes: number): ProbeReport {
  const n = labels.length;
  if (predicted.length !== n) {
    throw new RangeError(`Cannot score the probe: ${predicted.length} predictions for ${n} labels: expected as many`);
  }
  if (n === 0) throw new RangeError("Cannot score the probe: no rows: expected at least one");
  const support = new Array<number>(classes).fill(0), hits = new Array<number>(classes).fill(0);
  let right = 0;
  for (let r = 0; r < n; r++) {
    const l = labels[r];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new RangeError(`Cannot score the probe: label of row ${r} is ${l}: expected an integer in [0, ${classes})`);
    }
    support[l]++;
    if (predicted[r] === l) hits[l]++, right++;
  }
  const recall = support.map((s, c) => s > 0 ? hits[c] / s : null);
  const present = recall.filter((v): v is number => v !== null);
  return {
    support,
    recall,
    accuracy: right / n,
    balancedAccuracy: present.reduce((a, b) => a + b, 0) / present.length,
  };
}
