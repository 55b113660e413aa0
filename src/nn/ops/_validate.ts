/**
 * Argument checks shared by the ops: rank, dtype, channel agreement, odd kernels. Messages follow the house form
 * "Cannot apply <op>: <what was found>: expected <what is wanted>".
 *
 * @module
 */
import { tf } from "../tf.ts";

function show(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Throws unless `t` is a float32 tensor of rank `rank`.
 *
 * @throws {TypeError} On another rank or dtype, or a value that is not a tensor.
 */
export function requireTensor(op: string, name: string, t: unknown, rank: number, layout: string): void {
  if (!(t instanceof tf.Tensor)) {
    throw new TypeError(`Cannot apply ${op}: ${name} is ${typeof t}: expected a rank-${rank} tf.Tensor (${layout})`);
  }
  if (t.rank !== rank) {
    throw new TypeError(`Cannot apply ${op}: ${name} has shape ${show(t.shape)}: expected rank ${rank} (${layout})`);
  }
  if (t.dtype !== "float32") {
    throw new TypeError(`Cannot apply ${op}: ${name} has dtype ${t.dtype}: expected float32`);
  }
}

/**
 * Throws unless `size` equals `expected`.
 *
 * @throws {TypeError} On a mismatch; the message names both tensors' shapes.
 */
export function requireSize(
  op: string,
  what: string,
  size: number,
  expected: number,
  shapes: Record<string, readonly number[]>,
): void {
  if (size !== expected) {
    const list = Object.entries(shapes).map(([n, s]) => `${n} ${show(s)}`).join(", ");
    throw new TypeError(`Cannot apply ${op}: ${what} is ${size} (${list}): expected ${expected}`);
  }
}

/**
 * Throws unless every kernel extent is odd and positive (stride 1 "same" padding keeps the grid only then).
 *
 * @throws {RangeError} On an even or non-positive extent.
 */
export function requireOddKernel(op: string, kernel: readonly number[]): void {
  if (kernel.some((k) => k < 1 || k % 2 === 0)) {
    throw new RangeError(`Cannot apply ${op}: kernel is ${show(kernel)}: expected odd extents`);
  }
}

/**
 * Throws unless the optional bias is a float32 `[channels]` tensor.
 *
 * @throws {TypeError} On another rank, dtype or length.
 */
export function requireBias(op: string, b: tf.Tensor | undefined, channels: number): void {
  if (b === undefined) return;
  requireTensor(op, "b", b, 1, "[C]");
  requireSize(op, "b's length", b.shape[0], channels, { b: b.shape });
}

/**
 * Throws unless D, H and W of an NDHWC shape are even (2×2×2 blocks tile the grid).
 *
 * @throws {RangeError} On an odd extent.
 */
export function requireEvenGrid(op: string, shape: readonly number[]): void {
  if (shape.slice(1, 4).some((s) => s % 2 !== 0)) {
    throw new RangeError(`Cannot apply ${op}: x has shape ${show(shape)}: expected even D, H and W`);
  }
}
