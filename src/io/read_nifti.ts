/**
 * NIfTI-1 reader (.nii and .nii.gz) built on `nifti-reader-js` for header parsing.
 *
 * @module
 */
import * as nifti from "nifti-reader-js";
import { type Mat4, mat4FromRows } from "./affine.ts";
import { VolumeReadError } from "./errors.ts";
import { createVolume, type Volume, type VoxelArray } from "./volume.ts";
import { checkFinite, gunzipFile } from "./_bytes.ts";

/** NIfTI datatype codes this reader accepts, with their typed arrays. */
const DATATYPES: Record<
  number,
  { name: string; bytes: number; make: (buf: ArrayBuffer, offset: number, n: number) => VoxelArray }
> = {
  2: { name: "uint8", bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  256: { name: "int8", bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  4: { name: "int16", bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  512: { name: "uint16", bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  8: { name: "int32", bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  16: { name: "float32", bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  64: { name: "float64", bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
};

const DATATYPE_NAMES: Record<number, string> = {
  1: "binary",
  32: "complex64",
  128: "RGB24",
  768: "uint32",
  1024: "int64",
  1280: "uint64",
  1536: "float128",
  1792: "complex128",
  2048: "complex256",
  2304: "RGBA32",
};

/** Where a volume's affine came from, following the NIfTI-1 rules. */
export type AffineSource = "sform" | "qform" | "pixdim";

/** Options for {@linkcode readNifti}. */
export interface ReadNiftiOptions {
  /**
   * What to do with NaN or ±Inf voxels in float data: refuse the file, or keep them.
   * @default {"error"}
   */
  nonFinite?: "error" | "keep";
}

/** A NIfTI volume plus the header facts a caller may want to report. */
export interface NiftiVolume extends Volume {
  /** Which header transform gave `affine`. */
  readonly affineSource: AffineSource;
  /** On-disk datatype name, e.g. "int16". */
  readonly datatype: string;
}

/**
 * Reads a NIfTI-1 file (.nii, or gzip-compressed .nii.gz) into a {@linkcode Volume}.
 *
 * - Datatypes: uint8, int8, int16, uint16, int32, float32, float64; anything else is refused.
 * - `scl_slope`/`scl_inter` are applied when the slope is finite and non-zero and the pair is not (1, 0); the
 *   result is then float32. Otherwise the on-disk typed array is returned unchanged (integers stay exact).
 * - Affine (voxel index → RAS+ mm, voxel centres), NIfTI-1 rules: the sform when `sform_code > 0`, else the qform
 *   (quaternion, `pixdim`, `qfac`) when `qform_code > 0`, else `diag(pixdim[1..3])` with zero offset
 *   ("method 1"). nibabel differs only in that last, rare case (it centres the grid and flips x, as ANALYZE did).
 *   Spatial units of metres or microns are converted to mm.
 * - 3D images, and 4D images with a single time point; 2D, 5D and longer series are refused.
 *
 * @param path File to read.
 * @returns The volume, `unit` "other" (the caller knows whether it is HU, a label, a score).
 * @throws {VolumeReadError} Naming the file and the problem: missing, truncated gzip, wrong magic, unsupported
 *   datatype or dimensionality, data shorter than the header says, NaN in float data.
 */
export async function readNifti(path: string, options: ReadNiftiOptions = {}): Promise<NiftiVolume> {
  const { nonFinite = "error" } = options;
  const bytes = await gunzipFile(path);
  if (bytes.byteLength < 348) {
    throw new VolumeReadError(path, `file has ${bytes.byteLength} bytes, fewer than a NIfTI-1 header (348)`);
  }
  // The header is parsed from its own small copy; the voxels are viewed in place when aligned.
  const headerBytes = bytes.slice(0, Math.min(bytes.byteLength, 352));
  const buffer = headerBytes.buffer;
  const view = new DataView(buffer);
  const sizeLE = view.getInt32(0, true);
  const sizeBE = view.getInt32(0, false);
  if (sizeLE === 540 || sizeBE === 540) {
    throw new VolumeReadError(path, "file is NIfTI-2: only NIfTI-1 is supported");
  }
  if (sizeLE !== 348 && sizeBE !== 348) {
    throw new VolumeReadError(path, `header size field is ${sizeLE}: expected 348 (NIfTI-1); not a NIfTI file`);
  }
  const magic = String.fromCharCode(view.getUint8(344), view.getUint8(345), view.getUint8(346));
  if (magic === "ni1") {
    throw new VolumeReadError(path, "file is a .hdr/.img pair header: only single-file .nii is supported");
  }
  if (magic !== "n+1") {
    throw new VolumeReadError(path, `magic is ${JSON.stringify(magic)}: expected "n+1" (NIfTI-1 single file)`);
  }
  let header: nifti.NIFTI1;
  try {
    header = nifti.readHeader(buffer) as nifti.NIFTI1;
  } catch (cause) {
    throw new VolumeReadError(path, `header cannot be parsed: ${(cause as Error).message}`, { cause });
  }
  const le = header.littleEndian;
  const dims = header.dims;
  const ndim = dims[0];
  if (ndim < 3 || ndim > 4 || (ndim === 4 && dims[4] !== 1)) {
    const desc = dims.slice(1, 1 + Math.max(0, Math.min(ndim, 7))).join("×");
    throw new VolumeReadError(
      path,
      `image is ${ndim}D (${desc}): expected a 3D image or a 4D image with one time point`,
    );
  }
  const shape: [number, number, number] = [dims[1], dims[2], dims[3]];
  if (shape.some((n) => !(n >= 1))) {
    throw new VolumeReadError(path, `dimensions ${shape.join("×")} are not all positive`);
  }
  const dt = DATATYPES[header.datatypeCode];
  if (!dt) {
    const name = DATATYPE_NAMES[header.datatypeCode] ?? "unknown";
    throw new VolumeReadError(
      path,
      `datatype ${header.datatypeCode} (${name}) is not supported: expected ${
        Object.values(DATATYPES).map((d) => d.name).join(", ")
      }`,
    );
  }
  const n = shape[0] * shape[1] * shape[2];
  const offset = Math.floor(header.vox_offset);
  if (offset < 348) throw new VolumeReadError(path, `vox_offset is ${header.vox_offset}: expected at least 352`);
  const need = n * dt.bytes;
  const have = bytes.byteLength - offset;
  if (have < need) {
    throw new VolumeReadError(
      path,
      `header declares ${shape.join("×")} ${dt.name} (${need} bytes) but ${Math.max(0, have)} follow offset ${offset}` +
        ": the file looks truncated",
    );
  }
  // View the voxels in place when little-endian and aligned; otherwise copy (and byte-swap).
  const start = bytes.byteOffset + offset;
  let data: VoxelArray;
  if ((le || dt.bytes === 1) && start % dt.bytes === 0) {
    data = dt.make(bytes.buffer as ArrayBuffer, start, n);
  } else {
    const raw = bytes.slice(offset, offset + need);
    if (!le && dt.bytes > 1) swapBytes(raw, dt.bytes);
    data = dt.make(raw.buffer, 0, n);
  }
  if (data instanceof Float32Array || data instanceof Float64Array) {
    if (nonFinite === "error") checkFinite(path, data, shape);
  }
  const slope = header.scl_slope;
  const inter = Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  if (Number.isFinite(slope) && slope !== 0 && !(slope === 1 && inter === 0)) {
    const scaled = new Float32Array(n);
    for (let v = 0; v < n; v++) scaled[v] = data[v] * slope + inter;
    data = scaled;
  }
  const { affine, source } = niftiAffine(header, view);
  return {
    ...createVolume(data, shape, affine),
    affineSource: source,
    datatype: dt.name,
  };
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let o = 0; o < bytes.length; o += size) {
    for (let a = 0, b = size - 1; a < b; a++, b--) {
      const t = bytes[o + a];
      bytes[o + a] = bytes[o + b];
      bytes[o + b] = t;
    }
  }
}

/** Computes the NIfTI-1 affine (RAS+ mm) from the header, with the sform > qform > pixdim precedence. */
function niftiAffine(h: nifti.NIFTI1, view: DataView): { affine: Mat4; source: AffineSource } {
  const unitCode = h.xyzt_units & 7;
  const toMm = unitCode === 1 ? 1000 : unitCode === 3 ? 1e-3 : 1;
  let affine: number[];
  let source: AffineSource;
  if (h.sform_code > 0) {
    const rows: number[][] = [];
    for (let r = 0; r < 3; r++) {
      const row: number[] = [];
      for (let c = 0; c < 4; c++) row.push(view.getFloat32(280 + (4 * r + c) * 4, h.littleEndian));
      rows.push(row);
    }
    rows.push([0, 0, 0, 1]);
    affine = mat4FromRows(rows);
    source = "sform";
  } else if (h.qform_code > 0) {
    affine = qformAffine(h);
    source = "qform";
  } else {
    const p = h.pixDims;
    affine = [p[1], 0, 0, 0, 0, p[2], 0, 0, 0, 0, p[3], 0, 0, 0, 0, 1];
    source = "pixdim";
  }
  if (toMm !== 1) { for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) affine[4 * r + c] *= toMm; }
  return { affine, source };
}

/** NIfTI-1 "method 2": rotation from the quaternion (b, c, d), scaled by pixdim, k column times qfac. */
function qformAffine(h: nifti.NIFTI1): number[] {
  const b = h.quatern_b, c = h.quatern_c, d = h.quatern_d;
  const a2 = 1 - (b * b + c * c + d * d);
  const a = a2 < 1e-7 ? 0 : Math.sqrt(a2);
  const R = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const qfac = h.pixDims[0] < 0 ? -1 : 1;
  const zooms = [h.pixDims[1], h.pixDims[2], h.pixDims[3] * qfac];
  const off = [h.qoffset_x, h.qoffset_y, h.qoffset_z];
  const m: number[] = [];
  for (let r = 0; r < 3; r++) m.push(R[r][0] * zooms[0], R[r][1] * zooms[1], R[r][2] * zooms[2], off[r]);
  m.push(0, 0, 0, 1);
  return m;
}
