/**
 * 4×4 affine helpers. A {@linkcode Mat4} is row-major: `m[4 * r + c]`, mapping homogeneous voxel index
 * (i, j, k, 1) to world (x, y, z, 1) in mm. World is RAS+ (x → Right, y → Anterior, z → Superior), as in NIfTI.
 *
 * @module
 */

/** Three numbers along i, j, k (or x, y, z). */
export type Vec3 = readonly [number, number, number];

/** Row-major 4×4 matrix, 16 numbers: `m[4 * row + col]`. */
export type Mat4 = readonly number[];

/** The identity affine. */
export function identity4(): number[] {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

/** Product `a · b` of two row-major 4×4 matrices. */
export function mat4Multiply(a: Mat4, b: Mat4): number[] {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[4 * r + k] * b[4 * k + c];
      out[4 * r + c] = s;
    }
  }
  return out;
}

/**
 * Inverse of a 4×4 affine (Gauss–Jordan with partial pivoting).
 *
 * @throws {RangeError} If the matrix is singular.
 */
export function mat4Invert(m: Mat4): number[] {
  const a = Array.from(m);
  const inv = identity4();
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(a[4 * r + col]) > Math.abs(a[4 * pivot + col])) pivot = r;
    const p = a[4 * pivot + col];
    if (Math.abs(p) < 1e-12) throw new RangeError("Cannot invert affine: the matrix is singular");
    if (pivot !== col) {
      for (let c = 0; c < 4; c++) {
        [a[4 * col + c], a[4 * pivot + c]] = [a[4 * pivot + c], a[4 * col + c]];
        [inv[4 * col + c], inv[4 * pivot + c]] = [inv[4 * pivot + c], inv[4 * col + c]];
      }
    }
    for (let c = 0; c < 4; c++) {
      a[4 * col + c] /= p;
      inv[4 * col + c] /= p;
    }
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const f = a[4 * r + col];
      if (f === 0) continue;
      for (let c = 0; c < 4; c++) {
        a[4 * r + c] -= f * a[4 * col + c];
        inv[4 * r + c] -= f * inv[4 * col + c];
      }
    }
  }
  return inv;
}

/** Applies an affine to a point: voxel index (i, j, k) → world mm, or any other frame pair. */
export function applyAffine(m: Mat4, p: Vec3): [number, number, number] {
  return [
    m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3],
    m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7],
    m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11],
  ];
}

/** Voxel size along i, j, k in mm: the column norms of the affine's 3×3 block. */
export function spacingOf(m: Mat4): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) out[c] = Math.hypot(m[c], m[4 + c], m[8 + c]);
  return out;
}

/** Largest absolute element-wise difference of two matrices (for tests and tolerances). */
export function mat4MaxAbsDiff(a: Mat4, b: Mat4): number {
  let d = 0;
  for (let i = 0; i < 16; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Converts a nested row-major 4×4 array (nibabel/numpy style) to a flat {@linkcode Mat4}. */
export function mat4FromRows(rows: readonly (readonly number[])[]): number[] {
  if (rows.length !== 4 || rows.some((r) => r.length !== 4)) {
    throw new TypeError(`Cannot read affine: expected 4 rows of 4 numbers, got ${JSON.stringify(rows)}`);
  }
  return rows.flatMap((r) => [...r]);
}

/** Converts a flat {@linkcode Mat4} to nested rows, e.g. for JSON outputs. */
export function mat4ToRows(m: Mat4): number[][] {
  return [0, 1, 2, 3].map((r) => [m[4 * r], m[4 * r + 1], m[4 * r + 2], m[4 * r + 3]]);
}
