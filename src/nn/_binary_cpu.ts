/**
 * Faster broadcasting for the stock cpu kernels of float32 elementwise binary ops (Add, Sub, Multiply, RealDiv,
 * Maximum, Minimum, SquaredDifference), installed while the fast kernels are on (`_overrides_cpu.ts`).
 *
 * tfjs's cpu backend handles any broadcast (a [C] bias over NDHWC, a scalar, the `ones` that `tf.sum`'s gradient
 * multiplies by) with a generic loop that converts every output index to coordinates and back (~150 ns per
 * element: 0.3 s for one 2 M-voxel gradient of a sum). Here the two operands' strides are collapsed to the fewest
 * dimensions and the innermost run is a tight loop with stride 0 or 1 per operand. Anything else (other dtypes,
 * complex numbers) goes to the stock kernel unchanged.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { cpuOutput, cpuValues } from "./ops/_cpu_util.ts";
import type { StockOverride } from "./_overrides_cpu.ts";

/** The binary kernels given the fast broadcast. */
export const FAST_BINARY_KERNELS = [
  "Add",
  "Sub",
  "Multiply",
  "RealDiv",
  "Maximum",
  "Minimum",
  "SquaredDifference",
] as const;
type BinaryName = typeof FAST_BINARY_KERNELS[number];

const CODE: Record<BinaryName, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
};

/** out[o + j] = a[ia + j·sa] ∘ b[ib + j·sb] for j < n, with ∘ chosen by `code` (branch hoisted out of the loop). */
function run(
  code: number,
  out: Float32Array,
  o: number,
  a: Float32Array,
  ia: number,
  sa: number,
  b: Float32Array,
  ib: number,
  sb: number,
  n: number,
): void {
  switch (code) {
    case 0:
      for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa] + b[ib + j * sb];
      break;
    case 1:
      for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa] - b[ib + j * sb];
      break;
    case 2:
      for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa] * b[ib + j * sb];
      break;
    case 3:
      for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa] / b[ib + j * sb];
      break;
    case 4:
      for (let j = 0; j < n; j++) {
        const x = a[ia + j * sa], y = b[ib + j * sb];
        out[o + j] = x > y || Number.isNaN(x) ? x : y;
      }
      break;
    case 5:
      for (let j = 0; j < n; j++) {
        const x = a[ia + j * sa], y = b[ib + j * sb];
        out[o + j] = x < y || Number.isNaN(x) ? x : y;
      }
      break;
    default:
      for (let j = 0; j < n; j++) {
        const d = a[ia + j * sa] - b[ib + j * sb];
        out[o + j] = d * d;
      }
  }
}

/**
 * Broadcasts `a ∘ b` (numpy rules) into a new array.
 *
 * @returns The values and the broadcast shape.
 * @throws {TypeError} If the shapes do not broadcast.
 */
export function broadcastBinary(
  code: number,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
): { values: Float32Array; shape: number[] } {
  const rank = Math.max(aShape.length, bShape.length);
  const da = [...Array(rank - aShape.length).fill(1), ...aShape];
  const db = [...Array(rank - bShape.length).fill(1), ...bShape];
  const shape = da.map((x, i) => {
    const y = db[i];
    if (x !== y && x !== 1 && y !== 1) {
      throw new TypeError(`Cannot broadcast shapes [${aShape.join(", ")}] and [${bShape.join(", ")}]`);
    }
    return x === 1 ? y : x;
  });
  // Row-major strides, 0 along broadcast axes.
  const sa = new Array<number>(rank), sb = new Array<number>(rank);
  for (let i = rank - 1, pa = 1, pb = 1; i >= 0; i--) {
    sa[i] = da[i] === 1 ? 0 : pa;
    sb[i] = db[i] === 1 ? 0 : pb;
    pa *= da[i];
    pb *= db[i];
  }
  // Collapse axes (innermost first) while both operands stay affine across the pair; size-1 axes vanish.
  const dims: number[] = [], ka: number[] = [], kb: number[] = [];
  for (let i = rank - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && sa[i] === ka[last] * dims[last] && sb[i] === kb[last] * dims[last]) {
      dims[last] *= shape[i];
    } else {
      dims.push(shape[i]);
      ka.push(sa[i]);
      kb.push(sb[i]);
    }
  }
  const size = shape.reduce((p, q) => p * q, 1);
  const values = new Float32Array(size);
  if (size === 0) return { values, shape };
  if (dims.length === 0) {
    run(code, values, 0, a, 0, 0, b, 0, 0, 1);
    return { values, shape };
  }
  const inner = dims[0], innerA = ka[0], innerB = kb[0];
  const outer = dims.length - 1;
  const counter = new Array<number>(outer).fill(0);
  let ia = 0, ib = 0;
  for (let o = 0; o < size; o += inner) {
    run(code, values, o, a, ia, innerA, b, ib, innerB, inner);
    for (let k = 0; k < outer; k++) {
      const axis = k + 1;
      if (++counter[k] < dims[axis]) {
        ia += ka[axis];
        ib += kb[axis];
        break;
      }
      counter[k] = 0;
      ia -= ka[axis] * (dims[axis] - 1);
      ib -= kb[axis] * (dims[axis] - 1);
    }
  }
  return { values, shape };
}

function fastConfig(name: BinaryName, original: tf.KernelConfig): tf.KernelConfig {
  const code = CODE[name];
  return {
    ...original,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.dtype !== "float32" || b.dtype !== "float32") return original.kernelFunc(args);
      const { values, shape } = broadcastBinary(
        code,
        cpuValues(args.backend, a),
        a.shape,
        cpuValues(args.backend, b),
        b.shape,
      );
      return cpuOutput(args.backend, shape, values);
    },
  };
}

/** The binary kernels' replacements (`_overrides_cpu.ts` installs them). */
export const binaryOverrides: readonly StockOverride[] = FAST_BINARY_KERNELS.map((name) => ({
  kernelName: name,
  make: (stock: tf.KernelConfig) => fastConfig(name, stock),
}));
