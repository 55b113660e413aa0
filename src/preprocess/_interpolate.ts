/**
 * Private interpolation kernels of the preprocess stage: per-axis lookup tables, streamed separable trilinear
 * resampling, gathers for axis-aligned index maps, and a stepped sampler for oblique ones. Public entry points are in
 * `resample.ts`; nothing here validates its arguments.
 *
 * @module
 */
import type { Mat4, Vec3, VoxelArray } from "../io/mod.ts";

/** Slack, in source voxels, of the half-voxel footprint test (absorbs rounding in affine products). */
export const FOOTPRINT_SLACK = 1e-6;

/**
 * Interpolation table along one target axis. For target index t: source indices `lo[t]`, `hi[t]` along the matching
 * source axis and weight `w[t]` of `hi` (linear: `v = s[lo] + w·(s[hi] − s[lo])`; nearest: `lo = hi`, `w = 0`), and
 * `valid[t] = 0` where the target centre is outside the source footprint (`null`: all valid).
 */
export interface AxisTable {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly w: Float64Array;
  readonly valid: Uint8Array | null;
}

/**
 * Builds an {@linkcode AxisTable} from continuous source indices `x` along a source axis of `n` voxels. Indices in the
 * footprint `[−0.5, n − 0.5]` are clamped to `[0, n − 1]` (border value continued over the outer half voxel); when
 * `checkFootprint` is false every entry is valid. Nearest rounds ties up (to the higher index).
 */
export function axisTable(x: Float64Array, n: number, nearest: boolean, checkFootprint: boolean): AxisTable {
  const len = x.length;
  const lo = new Int32Array(len);
  const hi = new Int32Array(len);
  const w = new Float64Array(len);
  const valid = checkFootprint ? new Uint8Array(len) : null;
  for (let t = 0; t < len; t++) {
    const v = x[t];
    if (valid !== null) {
      if (!(v >= -0.5 - FOOTPRINT_SLACK && v <= n - 0.5 + FOOTPRINT_SLACK)) continue;
      valid[t] = 1;
    }
    const c = v < 0 ? 0 : v > n - 1 ? n - 1 : v;
    if (nearest) {
      lo[t] = hi[t] = Math.min(n - 1, Math.floor(c + 0.5));
      continue;
    }
    let l = Math.floor(c);
    if (l > n - 2) l = Math.max(0, n - 2);
    lo[t] = l;
    hi[t] = Math.min(l + 1, n - 1);
    w[t] = n > 1 ? c - l : 0;
  }
  return { lo, hi, w, valid };
}

/**
 * Separable trilinear resampling when target axis d runs along source axis d (diagonal index map, flips allowed),
 * streamed one k-plane at a time: each needed source plane is resampled in plane (a gather along i, then a blend of
 * rows along j) once, into one of two rolling plane buffers, and each output plane blends two of them along k. Only
 * plane-sized float32 temporaries; the tables' `valid` masks put `fill` outside the footprint.
 */
export function separableLinear(
  src: VoxelArray,
  shape: Vec3,
  newShape: Vec3,
  tables: readonly AxisTable[],
  fill: number,
): Float32Array {
  const [n0, n1] = shape;
  const [m0, m1, m2] = newShape;
  const [ti, tj, tk] = tables;
  const planeOut = m0 * m1;
  const out = new Float32Array(planeOut * m2);
  const rows = new Float32Array(m0 * n1); // one source plane after the pass along i
  const slot = [new Float32Array(planeOut), new Float32Array(planeOut)];
  const slotPlane = [-1, -1];
  const inPlane = (k: number, keep: number): Float32Array => {
    if (slotPlane[0] === k) return slot[0];
    if (slotPlane[1] === k) return slot[1];
    const s = slotPlane[0] === keep ? 1 : 0; // never evict the other plane of the current pair
    gatherRows(src, k * n0 * n1, n0, n1, ti, rows);
    blendRows(rows, m0, tj, slot[s]);
    slotPlane[s] = k;
    return slot[s];
  };
  const badI = invalidIndices(ti);
  const badJ = invalidIndices(tj);
  for (let t = 0; t < m2; t++) {
    const o = t * planeOut;
    if (tk.valid !== null && tk.valid[t] === 0) {
      out.fill(fill, o, o + planeOut);
      continue;
    }
    const a = inPlane(tk.lo[t], tk.hi[t]);
    const w = tk.w[t];
    if (w === 0) {
      out.set(a, o);
    } else {
      const b = inPlane(tk.hi[t], tk.lo[t]);
      for (let x = 0; x < planeOut; x++) {
        const va = a[x];
        out[o + x] = va + w * (b[x] - va);
      }
    }
    for (const j of badJ) out.fill(fill, o + j * m0, o + (j + 1) * m0);
    if (badI.length > 0) { for (let j = 0; j < m1; j++) for (const i of badI) out[o + j * m0 + i] = fill; }
  }
  return out;
}

function invalidIndices(table: AxisTable): number[] {
  const bad: number[] = [];
  if (table.valid !== null) { for (let t = 0; t < table.valid.length; t++) if (table.valid[t] === 0) bad.push(t); }
  return bad;
}

/** Linear pass along i over the `n1` rows of one plane starting at `base`: `rows` gets `n1` rows of `table` length. */
function gatherRows(src: VoxelArray, base: number, n0: number, n1: number, table: AxisTable, rows: Float32Array) {
  const { lo, hi, w } = table;
  const m0 = lo.length;
  for (let j = 0, q = 0; j < n1; j++) {
    const row = base + j * n0;
    for (let t = 0; t < m0; t++, q++) {
      const a = src[row + lo[t]];
      const wt = w[t];
      rows[q] = wt === 0 ? a : a + wt * (src[row + hi[t]] - a);
    }
  }
}

/** Linear pass along j: each output row of `m0` values blends two rows of `rows`. */
function blendRows(rows: Float32Array, m0: number, table: AxisTable, plane: Float32Array) {
  const { lo, hi, w } = table;
  for (let t = 0, q = 0; t < lo.length; t++) {
    const a0 = lo[t] * m0;
    const b0 = hi[t] * m0;
    const wt = w[t];
    if (wt === 0) {
      plane.set(rows.subarray(a0, a0 + m0), q);
      q += m0;
      continue;
    }
    for (let x = 0; x < m0; x++, q++) {
      const a = rows[a0 + x];
      plane[q] = a + wt * (rows[b0 + x] - a);
    }
  }
}

/**
 * If the 3×3 block of the index map `m` has exactly one non-zero entry per row and column (axis-aligned, with
 * possible permutation and flips), returns `perm` with target axis c → source axis `perm[c]`; otherwise null.
 */
export function axisPermutation(m: Mat4): number[] | null {
  let scale = 0;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) scale = Math.max(scale, Math.abs(m[4 * r + c]));
  const tol = 1e-12 * scale;
  const perm = [-1, -1, -1];
  const used = [false, false, false];
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < 3; r++) {
      if (Math.abs(m[4 * r + c]) <= tol) continue;
      if (perm[c] !== -1 || used[r]) return null;
      perm[c] = r;
      used[r] = true;
    }
    if (perm[c] === -1) return null;
  }
  return perm;
}

/**
 * Trilinear or nearest gather for an axis-aligned index map: target axis c runs along source axis `perm[c]` and
 * `tables[c]` holds its source indices and weights, so the weights factorise per target axis.
 */
export function gatherAxisAligned(
  src: VoxelArray,
  srcShape: Vec3,
  shape: Vec3,
  perm: readonly number[],
  tables: readonly AxisTable[],
  nearest: boolean,
  fill: number,
  out: VoxelArray,
): void {
  const strides = [1, srcShape[0], srcShape[0] * srcShape[1]];
  const scaled = tables.map((t, c) => ({
    lo: t.lo.map((v) => v * strides[perm[c]]),
    hi: t.hi.map((v) => v * strides[perm[c]]),
    w: t.w,
    valid: t.valid ?? new Uint8Array(t.lo.length).fill(1),
  }));
  const [{ lo: l0, hi: h0, w: w0, valid: v0 }, { lo: l1, hi: h1, w: w1, valid: v1 }, t2] = scaled;
  const [n0, n1, n2] = shape;
  let p = 0;
  for (let k = 0; k < n2; k++) {
    if (t2.valid[k] === 0) {
      out.fill(fill, p, p + n0 * n1);
      p += n0 * n1;
      continue;
    }
    for (let j = 0; j < n1; j++) {
      if (v1[j] === 0) {
        out.fill(fill, p, p + n0);
        p += n0;
        continue;
      }
      if (nearest) {
        const row = l1[j] + t2.lo[k];
        for (let i = 0; i < n0; i++, p++) out[p] = v0[i] === 0 ? fill : src[row + l0[i]];
        continue;
      }
      const r00 = l1[j] + t2.lo[k];
      const r10 = h1[j] + t2.lo[k];
      const r01 = l1[j] + t2.hi[k];
      const r11 = h1[j] + t2.hi[k];
      const b = w1[j];
      const g = t2.w[k];
      for (let i = 0; i < n0; i++, p++) {
        if (v0[i] === 0) {
          out[p] = fill;
          continue;
        }
        const a = w0[i];
        const x0 = l0[i];
        const x1 = h0[i];
        const c00 = src[r00 + x0] + a * (src[r00 + x1] - src[r00 + x0]);
        const c10 = src[r10 + x0] + a * (src[r10 + x1] - src[r10 + x0]);
        const c01 = src[r01 + x0] + a * (src[r01 + x1] - src[r01 + x0]);
        const c11 = src[r11 + x0] + a * (src[r11 + x1] - src[r11 + x0]);
        const c0 = c00 + b * (c10 - c00);
        const c1 = c01 + b * (c11 - c01);
        out[p] = c0 + g * (c1 - c0);
      }
    }
  }
}

/**
 * General (oblique) sampling: the continuous source index `m · (i, j, k, 1)` is stepped along i from each row's start
 * (computed afresh per row, so rounding does not accumulate across rows); footprint rule as {@linkcode axisTable}.
 */
export function sampleOblique(
  src: VoxelArray,
  srcShape: Vec3,
  shape: Vec3,
  m: Mat4,
  nearest: boolean,
  fill: number,
  out: VoxelArray,
): void {
  const [m0, m1, m2] = srcShape;
  const sj = m0;
  const sk = m0 * m1;
  const ox = m0 > 1 ? 1 : 0;
  const oy = m1 > 1 ? sj : 0;
  const oz = m2 > 1 ? sk : 0;
  const lo = -0.5 - FOOTPRINT_SLACK;
  const [n0, n1, n2] = shape;
  const dx = m[0], dy = m[4], dz = m[8]; // source index step per target i
  let p = 0;
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      const bx = m[1] * j + m[2] * k + m[3];
      const by = m[5] * j + m[6] * k + m[7];
      const bz = m[9] * j + m[10] * k + m[11];
      for (let i = 0; i < n0; i++, p++) {
        let x = bx + dx * i;
        let y = by + dy * i;
        let z = bz + dz * i;
        if (
          !(x >= lo && x <= m0 - lo - 1 && y >= lo && y <= m1 - lo - 1 && z >= lo && z <= m2 - lo - 1)
        ) {
          out[p] = fill;
          continue;
        }
        x = x < 0 ? 0 : x > m0 - 1 ? m0 - 1 : x;
        y = y < 0 ? 0 : y > m1 - 1 ? m1 - 1 : y;
        z = z < 0 ? 0 : z > m2 - 1 ? m2 - 1 : z;
        if (nearest) {
          const xi = Math.min(m0 - 1, Math.floor(x + 0.5));
          const yi = Math.min(m1 - 1, Math.floor(y + 0.5));
          const zi = Math.min(m2 - 1, Math.floor(z + 0.5));
          out[p] = src[xi + sj * yi + sk * zi];
          continue;
        }
        let xi = Math.floor(x);
        let yi = Math.floor(y);
        let zi = Math.floor(z);
        if (xi > m0 - 2) xi = Math.max(0, m0 - 2);
        if (yi > m1 - 2) yi = Math.max(0, m1 - 2);
        if (zi > m2 - 2) zi = Math.max(0, m2 - 2);
        const a = x - xi;
        const b = y - yi;
        const g = z - zi;
        const q = xi + sj * yi + sk * zi;
        const c00 = src[q] + a * (src[q + ox] - src[q]);
        const c10 = src[q + oy] + a * (src[q + oy + ox] - src[q + oy]);
        const c01 = src[q + oz] + a * (src[q + oz + ox] - src[q + oz]);
        const c11 = src[q + oy + oz] + a * (src[q + oy + oz + ox] - src[q + oy + oz]);
        const c0 = c00 + b * (c10 - c00);
        const c1 = c01 + b * (c11 - c01);
        out[p] = c0 + g * (c1 - c0);
      }
    }
  }
}
