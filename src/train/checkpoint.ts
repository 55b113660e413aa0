/**
 * Checkpoint files: named float32 tensors plus a JSON header (step, config, RNG state, anything else), in one
 * binary file written atomically, so a crash never leaves a half-written checkpoint.
 *
 * Layout: 8-byte magic `SKCKPT01`, uint32 LE header length, UTF-8 JSON header, zero padding to a multiple of 4,
 * then each tensor's float32 LE values in header order.
 *
 * @module
 */
import { writeFileAtomic } from "../io/mod.ts";

const MAGIC = "SKCKPT01";

/** A named tensor in a checkpoint. */
export interface NamedTensor {
  shape: number[];
  values: Float32Array;
}

/** What a checkpoint holds. */
export interface Checkpoint<M = Record<string, unknown>> {
  /** JSON-serialisable metadata: step, config, RNG state, optimizer scalars, … */
  meta: M;
  /** Tensors by name (weights, optimizer moments). */
  tensors: Map<string, NamedTensor>;
}

/** Thrown when a checkpoint cannot be read; names the file. */
export class CheckpointError extends Error {
  constructor(readonly path: string, detail: string, options?: ErrorOptions) {
    super(`Cannot read checkpoint "${path}": ${detail}`, options);
    this.name = "CheckpointError";
  }
}

/** Serialises a checkpoint to bytes (see the module doc for the layout). */
export function encodeCheckpoint<M>(ckpt: Checkpoint<M>): Uint8Array {
  const entries = [...ckpt.tensors.entries()].map(([name, t]) => ({ name, shape: t.shape, length: t.values.length }));
  const header = new TextEncoder().encode(JSON.stringify({ meta: ckpt.meta, tensors: entries }));
  const start = Math.ceil((12 + header.length) / 4) * 4;
  const total = start + entries.reduce((s, e) => s + 4 * e.length, 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let offset = start;
  for (const t of ckpt.tensors.values()) {
    out.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), offset);
    offset += t.values.byteLength;
  }
  return out;
}

/** Writes a checkpoint atomically (temp file + rename). */
export async function saveCheckpoint<M>(path: string, ckpt: Checkpoint<M>): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(ckpt));
}

/**
 * Reads a checkpoint written by {@linkcode saveCheckpoint}.
 *
 * @throws {CheckpointError} If the file is missing, has the wrong magic, or is truncated.
 */
export async function loadCheckpoint<M = Record<string, unknown>>(path: string): Promise<Checkpoint<M>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    throw new CheckpointError(path, (cause as Error).message, { cause });
  }
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointError(path, `magic is not ${MAGIC}: not a screener-kit checkpoint`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new CheckpointError(path, "header is truncated");
  let header: { meta: M; tensors: { name: string; shape: number[]; length: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (cause) {
    throw new CheckpointError(path, "header is not valid JSON", { cause });
  }
  let offset = Math.ceil((12 + headerLength) / 4) * 4;
  const need = offset + header.tensors.reduce((s, e) => s + 4 * e.length, 0);
  if (bytes.length < need) {
    throw new CheckpointError(path, `file has ${bytes.length} bytes but its header declares ${need}: truncated`);
  }
  const tensors = new Map<string, NamedTensor>();
  for (const e of header.tensors) {
    const values = new Float32Array(e.length);
    new Uint8Array(values.buffer).set(bytes.subarray(offset, offset + 4 * e.length));
    tensors.set(e.name, { shape: e.shape, values });
    offset += 4 * e.length;
  }
  return { meta: header.meta, tensors };
}
