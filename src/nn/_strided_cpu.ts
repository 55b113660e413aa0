/**
 * Faster cpu kernels for float32 Transpose, Slice, Sum and Mean, installed over the stock ones while the fast
 * kernels are on (`_overrides_cpu.ts`).
 *
 * The stock cpu kernels convert every element's index to coordinates and back (~100 ns per element: a rank-5
 * slice of a 2 M-voxel tensor takes ~0.3 s, STACK.md), and Sum/Mean over leading axes first transpose that way.
 * Here each is one strided walk: axes are collapsed wherever both sides stay affine, and the innermost run is a
 * plain loop (or `TypedArray.set` when contiguous). Reductions accumulate in float64.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { cpuOutput, cpuValues } from "./ops/_cpu_util.ts";
import type { StockOverride } from "./_overrides_cpu.ts";

/** Row-major strides of `shape`, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Merges adjacent axes (innermost first) where both stride lists stay affine; drops size-1 axes. */
function collapse(shape: readonly number[], a: readonly number[], b: readonly number[]) {
  const dims: number[] = [], sa: number[] = [], sb: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && a[i] === sa[last] * dims[last] && b[i] === sb[last] * dims[last]) {
      dims[last] *= shape[i];
    } else {
      dims.push(shape[i]);
      sa.push(a[i]);
      sb.push(b[i]);
    }
  }
  return { dims, sa, sb }; // innermost first
}

/**
 * Copies the strided view `src[offset + Σ iₖ·strides[k]]` of `shape` into a new contiguous array.
 *
 * @param src Source values.
 * @param offset Element offset of the view's first element.
 * @param strides Source strides per axis of `shape`, in elements.
 * @param shape Shape of the view (and of the result).
 */
export function gatherStrided(
  src: Float32Array,
  offset: number,
  strides: readonly number[],
  shape: readonly number[],
): Float32Array {
  const size = shape.reduce((p, q) => p * q, 1);
  const out = new Float32Array(size);
  if (size === 0) return out;
  const { dims, sa } = collapse(shape, strides, stridesOf(shape));
  if (dims.length === 0) {
    out[0] = src[offset];
    return out;
  }
  const inner = dims[0], step = sa[0];
  const counter = new Array<number>(dims.length - 1).fill(0);
  let s = offset;
  for (let o = 0; o < size; o += inner) {
    if (step === 1) out.set(src.subarray(s, s + inner), o);
    else for (let j = 0, i = s; j < inner; j++, i += step) out[o + j] = src[i];
    for (let k = 1; k < dims.length; k++) {
      if (++counter[k - 1] < dims[k]) {
        s += sa[k];
        break;
      }
      counter[k - 1] = 0;
      s -= sa[k] * (dims[k] - 1);
    }
  }
  return out;
}

/**
 * Sums `src` (contiguous, `shape`) over `axes`, in float64.
 *
 * @returns The sums as float32, in the row-major order of the kept axes.
 */
export function sumAxes(src: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = stridesOf(kept).map((s, i) => (axes.includes(i) ? 0 : s));
  const outSize = kept.reduce((p, q) => p * q, 1);
  const acc = new Float64Array(outSize);
  const size = src.length;
  if (size > 0) {
    const { dims, sa: so } = collapse(shape, outStrides, stridesOf(shape));
    if (dims.length === 0) acc[0] = src[0];
    else {
      const inner = dims[0], step = so[0];
      const counter = new Array<number>(dims.length - 1).fill(0);
      let o = 0;
      for (let i = 0; i < size; i += inner) {
        if (step === 0) {
          let s = 0;
          for (let j = 0; j < inner; j++) s += src[i + j];
          acc[o] += s;
        } else {
          for (let j = 0, q = o; j < inner; j++, q += step) acc[q] += src[i + j];
        }
        for (let k = 1; k < dims.length; k++) {
          if (++counter[k - 1] < dims[k]) {
            o += so[k];
            break;
          }
          counter[k - 1] = 0;
          o -= so[k] * (dims[k] - 1);
        }
      }
    }
  }
  return Float32Array.from(acc);
}

function reduceShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function reduction(mean: boolean): (stock: tf.KernelConfig) => tf.KernelConfig {
  return (stock) => ({
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype !== "float32") return stock.kernelFunc(args);
      const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const sums = sumAxes(cpuValues(args.backend, x), x.shape, axes);
      if (mean) {
        const count = axes.reduce((p, a) => p * x.shape[a], 1);
        for (let i = 0; i < sums.length; i++) sums[i] /= count;
      }
      return cpuOutput(args.backend, reduceShape(x.shape, axes, keepDims), sums);
    },
  });
}

/** Transpose, Slice, Sum and Mean for float32 (other dtypes go to the stock kernels). */
export const stridedOverrides: readonly StockOverride[] = [
  {
    kernelName: "Transpose",
    make: (stock) => ({
      ...stock,
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        if (x.dtype !== "float32") return stock.kernelFunc(args);
        const { perm } = args.attrs as { perm: number[] };
        const strides = stridesOf(x.shape);
        const shape = perm.map((p) => x.shape[p]);
        const out = gatherStrided(cpuValues(args.backend, x), 0, perm.map((p) => strides[p]), shape);
        return cpuOutput(args.backend, shape, out);
      },
    }),
  },
  {
    kernelName: "Slice",
    make: (stock) => ({
      ...stock,
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        if (x.dtype !== "float32") return stock.kernelFunc(args);
        const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
        const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
        tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
        const strides = stridesOf(x.shape);
        const offset = b.reduce((acc, v, i) => acc + v * strides[i], 0);
        return cpuOutput(args.backend, s, gatherStrided(cpuValues(args.backend, x), offset, strides, s));
      },
    }),
  },
  { kernelName: "Sum", make: reduction(false) },
  { kernelName: "Mean", make: reduction(true) },
];
