/**
 * Private byte-level helpers of the I/O stage: reading (and un-gzipping) files with errors that name the file.
 *
 * @module
 */
import { VolumeReadError } from "./errors.ts";
import type { Vec3 } from "./affine.ts";

/** Reads a file, mapping "not found" and similar failures to {@linkcode VolumeReadError}. */
export async function readFileOrThrow(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) throw new VolumeReadError(path, "file does not exist", { cause });
    if (cause instanceof Deno.errors.IsADirectory) {
      throw new VolumeReadError(path, "path is a folder: expected a file", { cause });
    }
    throw new VolumeReadError(path, (cause as Error).message, { cause });
  }
}

/** True when `bytes` start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses a gzip byte stream with the runtime's native `DecompressionStream` (much faster than JS inflate
 * on 100+ MB CT volumes); a truncated or corrupt stream becomes a {@linkcode VolumeReadError} naming `path`.
 */
export async function gunzip(path: string, bytes: Uint8Array): Promise<Uint8Array> {
  // The gzip trailer's ISIZE (uncompressed size mod 2^32) sizes the output buffer, so chunks are copied once.
  const hint = bytes.length >= 18
    ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true)
    : 0;
  let out = new Uint8Array(Math.max(hint, 1024));
  let total = 0;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    const reader = stream.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > out.length) {
        const grown = new Uint8Array(Math.max(2 * out.length, total + value.length));
        grown.set(out.subarray(0, total));
        out = grown;
      }
      out.set(value, total);
      total += value.length;
    }
  } catch (cause) {
    throw new VolumeReadError(
      path,
      `gzip stream is corrupt or ends early after ${total} decompressed bytes (${bytes.length} compressed): ` +
        "the file looks truncated or damaged",
      { cause },
    );
  }
  return total === out.length ? out : out.subarray(0, total);
}

/** Reads `path` and un-gzips it when it starts with the gzip magic (whatever its extension says). */
export async function gunzipFile(path: string): Promise<Uint8Array> {
  const bytes = await readFileOrThrow(path);
  return isGzip(bytes) ? await gunzip(path, bytes) : bytes;
}

/** Throws a {@linkcode VolumeReadError} when float data holds NaN or ±Inf, naming the count and first voxel. */
export function checkFinite(path: string, data: Float32Array | Float64Array, shape: Vec3): void {
  let bad = 0;
  let first = -1;
  for (let v = 0; v < data.length; v++) {
    const x = data[v];
    if (x - x !== 0) {
      if (first < 0) first = v;
      bad++;
    }
  }
  if (bad > 0) {
    const i = first % shape[0];
    const j = Math.floor(first / shape[0]) % shape[1];
    const k = Math.floor(first / (shape[0] * shape[1]));
    throw new VolumeReadError(
      path,
      `float data holds ${bad} NaN or infinite voxels (first at i,j,k = ${i},${j},${k}): expected finite values`,
    );
  }
}
