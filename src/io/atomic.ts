/**
 * Atomic file writes: data goes to a temp file in the destination's folder, then is renamed over the destination,
 * so a reader never sees a half-written output or checkpoint, and a failed write leaves the old file intact.
 *
 * @module
 */
import { dirname } from "node:path";

/**
 * Writes `bytes` to `path` atomically (temp file + rename), creating the parent folder if needed.
 *
 * @param path Destination file.
 * @param bytes File content.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Writes UTF-8 text atomically; see {@linkcode writeFileAtomic}. */
export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, new TextEncoder().encode(text));
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeTextAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
