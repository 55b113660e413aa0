/**
 * NRRD reader (attached header, raw or gzip encoding) for 3D scalar volumes.
 *
 * @module
 */
import { VolumeReadError } from "./errors.ts";
import { createVolume, type Volume, type VoxelArray } from "./volume.ts";
import { checkFinite, gunzip, readFileOrThrow } from "./_bytes.ts";

const TYPES: Record<string, { bytes: number; make: (buf: ArrayBuffer, n: number) => VoxelArray }> = {
  uchar: { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  "unsigned char": { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  uint8: { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  uint8_t: { bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  "signed char": { bytes: 1, make: (b, n) => new Int8Array(b, 0, n) },
  int8: { bytes: 1, make: (b, n) => new Int8Array(b, 0, n) },
  int8_t: { bytes: 1, make: (b, n) => new Int8Array(b, 0, n) },
  short: { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  "short int": { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  "signed short": { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  "signed short int": { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  int16: { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  int16_t: { bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  ushort: { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  "unsigned short": { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  "unsigned short int": { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  uint16: { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  uint16_t: { bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  int: { bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  "signed int": { bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  int32: { bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  int32_t: { bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  float: { bytes: 4, make: (b, n) => new Float32Array(b, 0, n) },
  double: { bytes: 8, make: (b, n) => new Float64Array(b, 0, n) },
};

/** World frames NRRD may declare, with the sign flips that take them to RAS+. */
const SPACES: Record<string, [number, number, number]> = {
  "right-anterior-superior": [1, 1, 1],
  "ras": [1, 1, 1],
  "left-anterior-superior": [-1, 1, 1],
  "las": [-1, 1, 1],
  "left-posterior-superior": [-1, -1, 1],
  "lps": [-1, -1, 1],
};

/**
 * Reads an NRRD file with an attached header (`NRRD000x` magic) into a {@linkcode Volume}.
 *
 * - Encodings `raw` and `gzip` (alias `gz`); endianness honoured.
 * - Geometry: `space directions` (one vector per axis, mm) and `space origin` give the voxel-centre affine in the
 *   declared `space`, converted to RAS+ (`left-posterior-superior` flips x and y). Without `space directions`,
 *   `spacings` give a diagonal affine at the origin.
 * - Sample order is the NRRD one, first axis fastest, which is the NIfTI (i, j, k) order: no reordering.
 *
 * @param path File to read.
 * @throws {VolumeReadError} Naming the file: wrong magic, detached data, unsupported type, encoding, dimension or
 *   space, data shorter than declared, NaN in float data.
 */
export async function readNrrd(path: string): Promise<Volume> {
  const bytes = await readFileOrThrow(path);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (!/^NRRD000\d$/.test(magic)) {
    throw new VolumeReadError(path, `magic is ${JSON.stringify(magic)}: expected "NRRD0001".."NRRD0005"`);
  }
  // The header ends at the first empty line.
  let end = -1;
  for (let p = 0; p < Math.min(bytes.length - 1, 1 << 20); p++) {
    if (bytes[p] === 0x0a && bytes[p + 1] === 0x0a) {
      end = p + 2;
      break;
    }
    if (bytes[p] === 0x0a && bytes[p + 1] === 0x0d && bytes[p + 2] === 0x0a) {
      end = p + 3;
      break;
    }
  }
  if (end < 0) throw new VolumeReadError(path, "header has no terminating blank line: the file looks truncated");
  const fields = new Map<string, string>();
  for (const line of new TextDecoder().decode(bytes.subarray(0, end)).split(/\r?\n/).slice(1)) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([^:]+):=?\s*(.*)$/.exec(line);
    if (m && !line.includes(":=")) fields.set(m[1].trim().toLowerCase(), m[2].trim());
  }
  const get = (key: string) => fields.get(key);
  if (get("data file") ?? get("datafile")) {
    throw new VolumeReadError(path, "header points to a detached data file: only attached data is supported");
  }
  const typeName = (get("type") ?? "").toLowerCase();
  const type = TYPES[typeName];
  if (!type) {
    throw new VolumeReadError(path, `type "${typeName}" is not supported: expected ${Object.keys(TYPES).join(", ")}`);
  }
  const dimension = Number(get("dimension"));
  const sizes = (get("sizes") ?? "").split(/\s+/).filter(Boolean).map(Number);
  if (dimension !== 3 || sizes.length !== 3 || sizes.some((s) => !(s >= 1 && Number.isInteger(s)))) {
    throw new VolumeReadError(
      path,
      `image is ${dimension}D with sizes "${get("sizes")}": expected a 3D scalar volume`,
    );
  }
  const shape: [number, number, number] = [sizes[0], sizes[1], sizes[2]];
  const encoding = (get("encoding") ?? "").toLowerCase();
  let payload: Uint8Array;
  if (encoding === "raw") payload = bytes.subarray(end);
  else if (encoding === "gzip" || encoding === "gz") payload = await gunzip(path, bytes.subarray(end));
  else throw new VolumeReadError(path, `encoding "${encoding}" is not supported: expected raw or gzip`);
  const n = shape[0] * shape[1] * shape[2];
  const need = n * type.bytes;
  if (payload.length < need) {
    throw new VolumeReadError(
      path,
      `header declares ${shape.join("×")} ${typeName} (${need} bytes) but ${payload.length} follow the header: ` +
        "the file looks truncated",
    );
  }
  const raw = new Uint8Array(need);
  raw.set(payload.subarray(payload.length - need)); // NRRD allows skipped leading bytes; data sits at the end
  const endian = (get("endian") ?? "little").toLowerCase();
  if (endian === "big" && type.bytes > 1) {
    for (let o = 0; o < need; o += type.bytes) raw.subarray(o, o + type.bytes).reverse();
  }
  const data = type.make(raw.buffer, n);
  if (data instanceof Float32Array || data instanceof Float64Array) checkFinite(path, data, shape);
  return createVolume(data, shape, nrrdAffine(path, fields));
}

function parseVector(path: string, text: string): number[] {
  const m = /^\(([^)]*)\)$/.exec(text.trim());
  if (!m) throw new VolumeReadError(path, `vector "${text}" cannot be parsed: expected "(x,y,z)"`);
  const v = m[1].split(",").map(Number);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) {
    throw new VolumeReadError(path, `vector "${text}" cannot be parsed: expected three finite numbers`);
  }
  return v;
}

function nrrdAffine(path: string, fields: Map<string, string>): number[] {
  const spaceName = (fields.get("space") ?? "").toLowerCase();
  const directions = fields.get("space directions");
  if (!directions) {
    const spacings = (fields.get("spacings") ?? "1 1 1").split(/\s+/).map(Number).map((s) =>
      Number.isFinite(s) ? s : 1
    );
    return [spacings[0], 0, 0, 0, 0, spacings[1], 0, 0, 0, 0, spacings[2], 0, 0, 0, 0, 1];
  }
  const flip = SPACES[spaceName];
  if (!flip) {
    throw new VolumeReadError(
      path,
      `space "${spaceName}" is not supported: expected one of ${Object.keys(SPACES).join(", ")}`,
    );
  }
  const dirs = directions.match(/\([^)]*\)/g) ?? [];
  if (dirs.length !== 3) throw new VolumeReadError(path, `space directions "${directions}" do not give 3 vectors`);
  const cols = dirs.map((d) => parseVector(path, d));
  const origin = fields.get("space origin") ? parseVector(path, fields.get("space origin")!) : [0, 0, 0];
  const a: number[] = [];
  for (let r = 0; r < 3; r++) {
    a.push(flip[r] * cols[0][r], flip[r] * cols[1][r], flip[r] * cols[2][r], flip[r] * origin[r]);
  }
  a.push(0, 0, 0, 1);
  return a.map((x) => x + 0); // −0 → 0
}
