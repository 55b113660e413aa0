/**
 * Reference implementations written from the definitions of METHOD §7, deliberately naive (no shared code with
 * src/metrics): a flood-fill labelling, AUPRO by brute force over every distinct score with MVTec's trapezoid rule,
 * and Dice by brute force.
 *
 * @module
 */
import type { Vec3 } from "../../src/io/mod.ts";

/** Connected components by breadth-first flood fill over explicit neighbour offsets. */
export function floodFillLabels(mask: ArrayLike<number>, shape: Vec3, connectivity: 6 | 26): Int32Array {
  const [n0, n1, n2] = shape;
  const labels = new Int32Array(mask.length);
  const offsets: [number, number, number][] = [];
  for (let dk = -1; dk <= 1; dk++) {
    for (let dj = -1; dj <= 1; dj++) {
      for (let di = -1; di <= 1; di++) {
        const manhattan = Math.abs(di) + Math.abs(dj) + Math.abs(dk);
        if (manhattan === 0 || (connectivity === 6 && manhattan > 1)) continue;
        offsets.push([di, dj, dk]);
      }
    }
  }
  let next = 0;
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    labels[start] = ++next;
    const queue = [start];
    while (queue.length > 0) {
      const p = queue.pop()!;
      const i = p % n0, j = Math.floor(p / n0) % n1, k = Math.floor(p / (n0 * n1));
      for (const [di, dj, dk] of offsets) {
        const a = i + di, b = j + dj, c = k + dk;
        if (a < 0 || b < 0 || c < 0 || a >= n0 || b >= n1 || c >= n2) continue;
        const q = a + n0 * (b + n1 * c);
        if (mask[q] !== 0 && labels[q] === 0) {
          labels[q] = next;
          queue.push(q);
        }
      }
    }
  }
  return labels;
}

/** MVTec AD's `trapezoid(x, y, x_max)`: area under a polyline up to x_max, the last point interpolated. */
function trapezoid(x: number[], y: number[], xMax: number): number {
  let correction = 0;
  if (!x.includes(xMax)) {
    const ins = x.findIndex((v) => v > xMax); // bisect_right on sorted x
    const yInterp = y[ins - 1] + (y[ins] - y[ins - 1]) * (xMax - x[ins - 1]) / (x[ins] - x[ins - 1]);
    correction = 0.5 * (yInterp + y[ins - 1]) * (xMax - x[ins - 1]);
  }
  let area = 0;
  for (let p = 1; p < x.length && x[p] <= xMax; p++) area += 0.5 * (y[p] + y[p - 1]) * (x[p] - x[p - 1]);
  return area + correction;
}

/**
 * AUPRO from the definition: at every distinct score t (descending), FPR = background ≥ t / background and
 * PRO = mean over regions of (region voxels ≥ t) / region size; points from (0, 0), trapezoid to `fprLimit`,
 * divided by `fprLimit`. `regions` holds 1…R on lesion voxels and 0 elsewhere; `region` limits the voxels.
 */
export function referenceAupro(
  scores: ArrayLike<number>,
  regions: Int32Array,
  fprLimit: number,
  region?: ArrayLike<number>,
): number {
  const inside = (v: number) => region === undefined || region[v] !== 0;
  const R = Math.max(0, ...regions);
  const sizes = new Array(R + 1).fill(0);
  let background = 0;
  for (let v = 0; v < scores.length; v++) {
    if (!inside(v)) continue;
    if (regions[v] > 0) sizes[regions[v]]++;
    else background++;
  }
  const distinct = [...new Set(Array.from(scores).filter((_, v) => inside(v)).map(Math.fround))].sort((a, b) => b - a);
  const x = [0], y = [0];
  for (const t of distinct) {
    let fp = 0;
    const hits = new Array(R + 1).fill(0);
    for (let v = 0; v < scores.length; v++) {
      if (!inside(v) || Math.fround(scores[v]) < t) continue;
      if (regions[v] > 0) hits[regions[v]]++;
      else fp++;
    }
    let pro = 0;
    for (let r = 1; r <= R; r++) pro += hits[r] / sizes[r];
    x.push(fp / background);
    y.push(pro / R);
  }
  x.push(1);
  y.push(1);
  return trapezoid(x, y, fprLimit) / fprLimit;
}

/** Best Dice by brute force over every distinct score in the region, and the highest threshold reaching it. */
export function referenceBestDice(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  region?: ArrayLike<number>,
): { dice: number; threshold: number } {
  const inside = (v: number) => region === undefined || region[v] !== 0;
  const distinct = [...new Set(Array.from(scores).filter((_, v) => inside(v)).map(Math.fround))].sort((a, b) => b - a);
  let best = { dice: -1, threshold: NaN };
  for (const t of distinct) {
    let tp = 0, predicted = 0, lesion = 0;
    for (let v = 0; v < scores.length; v++) {
      if (!inside(v)) continue;
      const hit = Math.fround(scores[v]) >= t;
      if (labels[v] !== 0) lesion++;
      if (hit) predicted++;
      if (hit && labels[v] !== 0) tp++;
    }
    const dice = 2 * tp / (lesion + predicted);
    if (dice > best.dice) best = { dice, threshold: t };
  }
  return best;
}
