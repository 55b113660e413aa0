/**
 * Private rasterisation helpers of the phantom generator: a voxel grid with a diagonal RAS+ affine, and painters that
 * write tissue labels (uint8, i fastest) for shapes given in world mm, evaluated at voxel centres.
 *
 * A painter writes `label` only over voxels whose current label is in `allow`, a bit set `1 << label`
 * ({@linkcode ANY} = unconditional): painting in a fixed order with such masks builds the anatomy like layers of paint.
 *
 * @module
 */

/** A regular grid with a diagonal affine: voxel (i, j, k) has its centre at world (ox + i·sx, oy + j·sy, oz + k·sz). */
export interface Grid {
  readonly ni: number;
  readonly nj: number;
  readonly nk: number;
  /** Spacing along i, j, k in mm. */
  readonly sx: number;
  readonly sy: number;
  readonly sz: number;
  /** World mm of the centre of voxel (0, 0, 0). */
  readonly ox: number;
  readonly oy: number;
  readonly oz: number;
}

/** `allow` bit set that lets a painter overwrite every label. */
export const ANY = -1;

/** Bit set of the given labels, for a painter's `allow`. */
export function labelsMask(...labels: number[]): number {
  let m = 0;
  for (const l of labels) m |= 1 << l;
  return m;
}

/** Label of the voxel nearest to world (x, y, z); 0 outside the grid. */
export function labelAt(tissue: Uint8Array, g: Grid, x: number, y: number, z: number): number {
  const i = Math.round((x - g.ox) / g.sx);
  const j = Math.round((y - g.oy) / g.sy);
  const k = Math.round((z - g.oz) / g.sz);
  if (i < 0 || j < 0 || k < 0 || i >= g.ni || j >= g.nj || k >= g.nk) return 0;
  return tissue[i + g.ni * (j + g.nj * k)];
}

/** Paints 2D shapes into one axial slice (constant k) of a label volume. */
export class SlicePainter {
  #lab: Uint8Array = new Uint8Array(0);
  /** World z of the current slice in mm. */
  z = 0;

  constructor(readonly grid: Grid, readonly tissue: Uint8Array) {}

  /** Selects slice k. */
  setSlice(k: number): void {
    const n = this.grid.ni * this.grid.nj;
    this.#lab = this.tissue.subarray(k * n, (k + 1) * n);
    this.z = this.grid.oz + k * this.grid.sz;
  }

  /** Paints row j for world x in [xLo, xHi]. */
  span(j: number, xLo: number, xHi: number, label: number, allow: number): void {
    const g = this.grid;
    let i0 = Math.ceil((xLo - g.ox) / g.sx);
    let i1 = Math.floor((xHi - g.ox) / g.sx) + 1;
    if (i0 < 0) i0 = 0;
    if (i1 > g.ni) i1 = g.ni;
    if (i1 <= i0) return;
    const lab = this.#lab;
    const off = j * g.ni;
    if (allow === ANY) {
      lab.fill(label, off + i0, off + i1);
      return;
    }
    for (let n = off + i0; n < off + i1; n++) if ((allow >>> lab[n]) & 1) lab[n] = label;
  }

  /**
   * Paints a superellipse `|dx/a|^p + |dy/b|^p ≤ 1` centred at (cx, cy) mm, with semi-axis `bAnt` towards +y
   * (anterior) and `bPost` towards −y, limited to rows with y in [yMin, yMax].
   */
  shape(
    cx: number,
    cy: number,
    a: number,
    bAnt: number,
    bPost: number,
    p: number,
    label: number,
    allow: number,
    yMin = -Infinity,
    yMax = Infinity,
  ): void {
    if (!(a > 0 && bAnt > 0 && bPost > 0)) return;
    const g = this.grid;
    const jLo = Math.max(0, Math.ceil((Math.max(cy - bPost, yMin) - g.oy) / g.sy));
    const jHi = Math.min(g.nj - 1, Math.floor((Math.min(cy + bAnt, yMax) - g.oy) / g.sy));
    for (let j = jLo; j <= jHi; j++) {
      const dy = g.oy + j * g.sy - cy;
      const q = dy >= 0 ? dy / bAnt : -dy / bPost;
      if (q >= 1) continue;
      const hw = p === 2 ? a * Math.sqrt(1 - q * q) : a * Math.pow(1 - Math.pow(q, p), 1 / p);
      this.span(j, cx - hw, cx + hw, label, allow);
    }
  }

  /** Paints an ellipse with semi-axes a (x) and b (y). */
  ellipse(cx: number, cy: number, a: number, b: number, label: number, allow: number): void {
    this.shape(cx, cy, a, b, b, 2, label, allow);
  }

  /** Paints this slice's section of an axis-aligned ellipsoid; `yMin` keeps only its part anterior of a plane. */
  ellipsoid(
    cx: number,
    cy: number,
    cz: number,
    a: number,
    b: number,
    c: number,
    label: number,
    allow: number,
    yMin = -Infinity,
  ): void {
    const q = (this.z - cz) / c;
    if (!(q * q < 1)) return;
    const s = Math.sqrt(1 - q * q);
    this.shape(cx, cy, a * s, b * s, b * s, 2, label, allow, yMin);
  }
}

/**
 * Paints a capsule (all points within `r` mm of the segment a–b) into a label volume. Radii below half the smallest
 * spacing are raised to it so that thin tubes stay connected; the partial-volume blur later makes them faint.
 */
export function paintCapsule(
  tissue: Uint8Array,
  g: Grid,
  a: readonly number[],
  b: readonly number[],
  r: number,
  label: number,
  allow: number,
): void {
  const reach = Math.max(r, 0.5 * Math.min(g.sx, g.sy, g.sz));
  const r2 = reach * reach;
  const ex = b[0] - a[0], ey = b[1] - a[1], ez = b[2] - a[2];
  const len2 = ex * ex + ey * ey + ez * ez;
  const inv = len2 > 0 ? 1 / len2 : 0;
  const i0 = Math.max(0, Math.ceil((Math.min(a[0], b[0]) - reach - g.ox) / g.sx));
  const i1 = Math.min(g.ni - 1, Math.floor((Math.max(a[0], b[0]) + reach - g.ox) / g.sx));
  const j0 = Math.max(0, Math.ceil((Math.min(a[1], b[1]) - reach - g.oy) / g.sy));
  const j1 = Math.min(g.nj - 1, Math.floor((Math.max(a[1], b[1]) + reach - g.oy) / g.sy));
  const k0 = Math.max(0, Math.ceil((Math.min(a[2], b[2]) - reach - g.oz) / g.sz));
  const k1 = Math.min(g.nk - 1, Math.floor((Math.max(a[2], b[2]) + reach - g.oz) / g.sz));
  for (let k = k0; k <= k1; k++) {
    const pz = g.oz + k * g.sz - a[2];
    for (let j = j0; j <= j1; j++) {
      const py = g.oy + j * g.sy - a[1];
      const row = g.ni * (j + g.nj * k);
      for (let i = i0; i <= i1; i++) {
        const n = row + i;
        if (allow !== ANY && !((allow >>> tissue[n]) & 1)) continue;
        const px = g.ox + i * g.sx - a[0];
        let t = (px * ex + py * ey + pz * ez) * inv;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const dx = px - t * ex, dy = py - t * ey, dz = pz - t * ez;
        if (dx * dx + dy * dy + dz * dz <= r2) tissue[n] = label;
      }
    }
  }
}
