/**
 * {@linkcode positionalEncoding}: sinusoidal encoding of voxel positions, the positional condition of METHOD §4's
 * ablation (as in CFlow, extended from 2D to 3D).
 *
 * @module
 */

/** Options for {@linkcode positionalEncoding}. */
export interface PositionalEncodingOptions {
  /**
   * Shortest wavelength, in normalised coordinate units (1 = the whole extent of an axis). The longest is always 2,
   * so the lowest frequency is monotone over [0, 1] and every position is told apart. @default {1 / 64}
   */
  minWavelength?: number;
}

/**
 * Encodes 3D positions as sines and cosines at geometric frequencies, per axis (CFlow's encoding with normalised
 * instead of pixel coordinates, so it does not depend on the grid size).
 *
 * With `F = dim / 6` frequencies per axis, wavelengths `λ_f = 2·(minWavelength/2)^(f/(F−1))` for f = 0 … F−1 (λ = 2
 * when F = 1) and angular frequencies `ω_f = 2π/λ_f` (from π up to 2π/minWavelength), row k of the output is, for
 * axis a = 0, 1, 2 (i, j, k of the coordinates) and f = 0 … F−1:
 * `out[k, a·2F + 2f] = sin(ω_f·x[k, a])`, `out[k, a·2F + 2f + 1] = cos(ω_f·x[k, a])`.
 *
 * @param coords Positions `[K, 3]`, row-major: normalised voxel coordinates in [0, 1] per axis (index / (n − 1)).
 * @param dim Output width, a positive multiple of 6.
 * @returns Float32 `[K, dim]`, row-major, values in [−1, 1].
 * @throws {RangeError} If `dim` is not a positive multiple of 6, `coords.length` is not a multiple of 3, a
 *   coordinate lies outside [0, 1] (e.g. a voxel index that was not normalised), or `minWavelength` is not in (0, 2].
 * @example Encode the centre of a volume
 * ```ts
 * import { positionalEncoding } from "./positional.ts";
 * const pe = positionalEncoding(new Float32Array([0.5, 0.5, 0.5]), 6); // F = 1, ω = π
 * if (Math.abs(pe[0] - 1) > 1e-6) throw new Error("sin(π/2) must be 1");
 * ```
 */
export function positionalEncoding(
  coords: Float32Array,
  dim: number,
  options: PositionalEncodingOptions = {},
): Float32Array {
  const { minWavelength = 1 / 64 } = options;
  if (!(Number.isInteger(dim) && dim > 0 && dim % 6 === 0)) {
    throw new RangeError(`Cannot encode positions with dim ${dim}: expected a positive multiple of 6`);
  }
  if (coords.length % 3 !== 0) {
    throw new RangeError(`Cannot encode positions: coords has ${coords.length} values: expected a multiple of 3`);
  }
  if (!(minWavelength > 0 && minWavelength <= 2)) {
    throw new RangeError(`Cannot encode positions with minWavelength ${minWavelength}: expected a number in (0, 2]`);
  }
  const f = dim / 6;
  const omega = new Float64Array(f);
  for (let i = 0; i < f; i++) {
    const wavelength = f === 1 ? 2 : 2 * (minWavelength / 2) ** (i / (f - 1));
    omega[i] = (2 * Math.PI) / wavelength;
  }
  const rows = coords.length / 3;
  const out = new Float32Array(rows * dim);
  for (let k = 0; k < rows; k++) {
    for (let a = 0; a < 3; a++) {
      const x = coords[3 * k + a];
      if (!(x >= 0 && x <= 1)) {
        throw new RangeError(
          `Cannot encode positions: row ${k} axis ${a} has coordinate ${x}: expected a normalised value in [0, 1]`,
        );
      }
      const base = k * dim + a * 2 * f;
      for (let i = 0; i < f; i++) {
        out[base + 2 * i] = Math.sin(omega[i] * x);
        out[base + 2 * i + 1] = Math.cos(omega[i] * x);
      }
    }
  }
  return out;
}
