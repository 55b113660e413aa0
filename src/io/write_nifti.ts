/**
 * NIfTI-1 writer (.nii and .nii.gz via `fflate`), atomic.
 *
 * @module
 */
import { gzipSync } from "fflate";
import type { Mat4 } from "./affine.ts";
import { writeFileAtomic } from "./atomic.ts";
import { VolumeWriteError } from "./errors.ts";
import type { Volume } from "./volume.ts";

/** Datatypes the writer produces. */
export const WRITE_DATATYPES = ["float32", "int16", "uint8"] as const;
/** A datatype the writer produces. */
export type WriteDatatype = typeof WRITE_DATATYPES[number];

const CODES: Record<WriteDatatype, { code: number; bits: number; min: number; max: number }> = {
  float32: { code: 16, bits: 32, min: -Infinity, max: Infinity },
  int16: { code: 4, bits: 16, min: -32768, max: 32767 },
  uint8: { code: 2, bits: 8, min: 0, max: 255 },
};

/** Options for {@linkcode writeVolume}. */
export interface WriteVolumeOptions {
  /**
   * On-disk datatype. Integer types require integer values within range (nothing is clipped or rounded silently).
   * @default {Int16Array → "int16", Uint8Array → "uint8", anything else → "float32"}
   */
  datatype?: WriteDatatype;
  /** gzip level 0–9 for .nii.gz. @default {6} */
  gzipLevel?: number;
  /** Text for the header's 80-byte `descrip` field. @default {"screener-kit"} */
  description?: string;
}

/**
 * Writes a volume as NIfTI-1 (gzip-compressed when `path` ends with `.gz`), atomically (temp file + rename).
 * Both sform and qform are set from the affine (codes 1, scanner), units mm, `scl_slope` 1, `vox_offset` 352.
 * The qform stores the nearest rigid rotation; the sform stores the affine exactly (up to float32).
 *
 * @param path Destination, `.nii` or `.nii.gz`.
 * @param volume Volume to write; index order (i, j, k), i fastest.
 * @throws {VolumeWriteError} If values do not fit the datatype, are NaN/Inf, or the extension is not NIfTI.
 * @example
 * ```ts ignore
 * await writeVolume("out/case_anomaly.nii.gz", map); // float32
 * ```
 */
export async function writeVolume(path: string, volume: Volume, options: WriteVolumeOptions = {}): Promise<void> {
  const bytes = encodeNifti(path, volume, options);
  try {
    await writeFileAtomic(path, bytes);
  } catch (cause) {
    throw new VolumeWriteError(path, (cause as Error).message, { cause });
  }
}

/** Encodes a volume as NIfTI-1 bytes (gzipped when `path` ends with .gz); see {@linkcode writeVolume}. */
export function encodeNifti(path: string, volume: Volume, options: WriteVolumeOptions = {}): Uint8Array {
  if (!/\.nii(\.gz)?$/.test(path)) {
    throw new VolumeWriteError(path, "extension is not .nii or .nii.gz");
  }
  const datatype = options.datatype ?? defaultDatatype(volume);
  if (!WRITE_DATATYPES.includes(datatype)) {
    throw new VolumeWriteError(path, `datatype "${datatype}" is not writable: expected ${WRITE_DATATYPES.join(", ")}`);
  }
  const { description = "screener-kit", gzipLevel = 6 } = options;
  const spec = CODES[datatype];
  const [n0, n1, n2] = volume.shape;
  const n = n0 * n1 * n2;
  const bytesPer = spec.bits / 8;
  const out = new Uint8Array(352 + n * bytesPer);
  const view = new DataView(out.buffer);
  writeHeader(view, volume, spec.code, spec.bits, description);
  const src = volume.data;
  if (datatype === "float32") {
    const dst = new Float32Array(out.buffer, 352, n);
    for (let v = 0; v < n; v++) {
      const x = src[v];
      if (x - x !== 0) throw new VolumeWriteError(path, `voxel ${v} is ${x}: expected finite values`);
      dst[v] = x;
    }
  } else {
    const dst = datatype === "int16" ? new Int16Array(out.buffer, 352, n) : new Uint8Array(out.buffer, 352, n);
    for (let v = 0; v < n; v++) {
      const x = src[v];
      if (!(x >= spec.min && x <= spec.max) || Math.round(x) !== x) {
        throw new VolumeWriteError(
          path,
          `voxel ${v} is ${x}: expected integers in [${spec.min}, ${spec.max}] for ${datatype}`,
        );
      }
      dst[v] = x;
    }
  }
  return path.endsWith(".gz") ? gzipSync(out, { level: gzipLevel as 6, mtime: 0 }) : out;
}

function defaultDatatype(volume: Volume): WriteDatatype {
  if (volume.data instanceof Int16Array) return "int16";
  if (volume.data instanceof Uint8Array) return "uint8";
  return "float32";
}

function writeHeader(view: DataView, volume: Volume, code: number, bits: number, description: string): void {
  const le = true;
  const a = volume.affine;
  view.setInt32(0, 348, le);
  view.setUint8(38, "r".charCodeAt(0));
  const dims = [3, volume.shape[0], volume.shape[1], volume.shape[2], 1, 1, 1, 1];
  dims.forEach((d, i) => view.setInt16(40 + 2 * i, d, le));
  view.setInt16(70, code, le);
  view.setInt16(72, bits, le);
  const q = quaternionFromAffine(a);
  const pixdim = [q.qfac, volume.spacingMm[0], volume.spacingMm[1], volume.spacingMm[2], 1, 1, 1, 1];
  pixdim.forEach((p, i) => view.setFloat32(76 + 4 * i, p, le));
  view.setFloat32(108, 352, le); // vox_offset
  view.setFloat32(112, 1, le); // scl_slope
  view.setFloat32(116, 0, le); // scl_inter
  view.setUint8(123, 2 | 8); // xyzt_units: mm, s
  const desc = new TextEncoder().encode(description).slice(0, 79);
  new Uint8Array(view.buffer, 148, 80).set(desc);
  view.setInt16(252, 1, le); // qform_code: scanner
  view.setInt16(254, 1, le); // sform_code: scanner
  view.setFloat32(256, q.b, le);
  view.setFloat32(260, q.c, le);
  view.setFloat32(264, q.d, le);
  view.setFloat32(268, a[3], le);
  view.setFloat32(272, a[7], le);
  view.setFloat32(276, a[11], le);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) view.setFloat32(280 + 4 * (4 * r + c), a[4 * r + c], le);
  [0x6e, 0x2b, 0x31, 0x00].forEach((ch, i) => view.setUint8(344 + i, ch)); // "n+1\0"
}

/**
 * NIfTI quaternion (b, c, d) and qfac for the rotation part of an affine: columns normalised; a negative
 * determinant is absorbed by qfac = −1 (k column negated); the rotation is orthonormalised by Gram–Schmidt.
 */
export function quaternionFromAffine(a: Mat4): { b: number; c: number; d: number; qfac: number } {
  const col = (c: number) => [a[c], a[4 + c], a[8 + c]];
  const norm = (v: number[]) => Math.hypot(v[0], v[1], v[2]) || 1;
  const scale = (v: number[], s: number) => v.map((x) => x * s);
  const dot = (u: number[], v: number[]) => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  const sub = (u: number[], v: number[]) => u.map((x, i) => x - v[i]);
  let x = col(0), y = col(1), z = col(2);
  x = scale(x, 1 / norm(x));
  y = sub(y, scale(x, dot(x, y)));
  y = scale(y, 1 / norm(y));
  z = sub(sub(z, scale(x, dot(x, z))), scale(y, dot(y, z)));
  z = scale(z, 1 / norm(z));
  const det = x[0] * (y[1] * z[2] - y[2] * z[1]) - y[0] * (x[1] * z[2] - x[2] * z[1]) +
    z[0] * (x[1] * y[2] - x[2] * y[1]);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    z = scale(z, -1);
  }
  // R[r][c] with columns x, y, z.
  const R = [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]];
  const trace = R[0][0] + R[1][1] + R[2][2];
  let qa: number, qb: number, qc: number, qd: number;
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    qa = 0.25 / s;
    qb = (R[2][1] - R[1][2]) * s;
    qc = (R[0][2] - R[2][0]) * s;
    qd = (R[1][0] - R[0][1]) * s;
  } else if (R[0][0] > R[1][1] && R[0][0] > R[2][2]) {
    const s = 2 * Math.sqrt(1 + R[0][0] - R[1][1] - R[2][2]);
    qa = (R[2][1] - R[1][2]) / s;
    qb = 0.25 * s;
    qc = (R[0][1] + R[1][0]) / s;
    qd = (R[0][2] + R[2][0]) / s;
  } else if (R[1][1] > R[2][2]) {
    const s = 2 * Math.sqrt(1 + R[1][1] - R[0][0] - R[2][2]);
    qa = (R[0][2] - R[2][0]) / s;
    qb = (R[0][1] + R[1][0]) / s;
    qc = 0.25 * s;
    qd = (R[1][2] + R[2][1]) / s;
  } else {
    const s = 2 * Math.sqrt(1 + R[2][2] - R[0][0] - R[1][1]);
    qa = (R[1][0] - R[0][1]) / s;
    qb = (R[0][2] + R[2][0]) / s;
    qc = (R[1][2] + R[2][1]) / s;
    qd = 0.25 * s;
  }
  if (qa < 0) [qb, qc, qd] = [-qb, -qc, -qd];
  return { b: qb, c: qc, d: qd, qfac };
}
