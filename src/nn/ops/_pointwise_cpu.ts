/**
 * cpu fast kernels of {@linkcode pointwise}: ONNX Runtime `Gemm` on the activations seen as an [M, Cin] matrix
 * (M = N·D·H·W voxels, no copy): forward `x·w + b`, input gradient `dy·wᵀ`, filter gradient `xᵀ·dy`. tfjs's own cpu
 * `matMul` is 10–30× slower on these tall, thin matrices.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { GraphSpec } from "../_onnx_graph.ts";
import { runCached } from "../_sessions.ts";
import { CHANNEL_SUM, cpuOutput, cpuValues, runKernel } from "./_cpu_util.ts";

/** Kernel: inputs x [..., Cin], w [Cin, Cout], optional b [Cout]; output [..., Cout]. */
export const POINTWISE = "ScreenerPointwise";
/** Kernel: inputs dy [..., Cout], w [Cin, Cout]; output dx [..., Cin]. */
export const POINTWISE_GRAD_INPUT = "ScreenerPointwiseGradInput";
/** Kernel: inputs x [..., Cin], dy [..., Cout]; output dw [Cin, Cout]. */
export const POINTWISE_GRAD_FILTER = "ScreenerPointwiseGradFilter";

/** Number of rows when the last axis is the matrix's columns. */
export function rowsOf(shape: readonly number[]): number {
  return shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

/**
 * A one-node `Gemm` graph `y = op(a)·op(b) (+ c)`.
 *
 * @param a [rows, k] (or [k, rows] with transA).
 * @param b [k, cols] (or [cols, k] with transB).
 */
export function gemmGraph(
  a: number[],
  b: number[],
  options: { transA?: boolean; transB?: boolean; bias?: boolean } = {},
): GraphSpec {
  const { transA = false, transB = false, bias = false } = options;
  const rows = transA ? a[1] : a[0];
  const cols = transB ? b[0] : b[1];
  return {
    inputs: bias ? { a, b, c: [cols] } : { a, b },
    outputs: { y: [rows, cols] },
    nodes: [{
      op: "Gemm",
      inputs: bias ? ["a", "b", "c"] : ["a", "b"],
      outputs: ["y"],
      attrs: { transA: transA ? 1 : 0, transB: transB ? 1 : 0 },
    }],
  };
}

/** Runs a cached `Gemm` on cpu tensors and returns the product's values. */
export function gemm(
  backend: unknown,
  a: { info: tf.TensorInfo; dims: number[] },
  b: { info: tf.TensorInfo; dims: number[] },
  options: { transA?: boolean; transB?: boolean; c?: tf.TensorInfo } = {},
): Float32Array {
  const { transA = false, transB = false, c } = options;
  const key = `gemm:${a.dims}:${b.dims}:${transA}:${transB}:${c !== undefined}`;
  const { y } = runCached(key, () => gemmGraph(a.dims, b.dims, { transA, transB, bias: c !== undefined }), {
    a: { data: cpuValues(backend, a.info), dims: a.dims },
    b: { data: cpuValues(backend, b.info), dims: b.dims },
    ...(c !== undefined ? { c: { data: cpuValues(backend, c), dims: c.shape } } : {}),
  });
  return y;
}

/** cpu kernels of pointwise and its two gradients. */
export const pointwiseCpuKernels: tf.KernelConfig[] = [
  {
    kernelName: POINTWISE,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, w, b } = inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b?: tf.TensorInfo };
      const m = rowsOf(x.shape);
      const y = gemm(backend, { info: x, dims: [m, w.shape[0]] }, { info: w, dims: w.shape }, { c: b });
      return cpuOutput(backend, [...x.shape.slice(0, -1), w.shape[1]], y);
    },
  },
  {
    kernelName: POINTWISE_GRAD_INPUT,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, w } = inputs as { dy: tf.TensorInfo; w: tf.TensorInfo };
      const m = rowsOf(dy.shape);
      const dx = gemm(backend, { info: dy, dims: [m, w.shape[1]] }, { info: w, dims: w.shape }, { transB: true });
      return cpuOutput(backend, [...dy.shape.slice(0, -1), w.shape[0]], dx);
    },
  },
  {
    kernelName: POINTWISE_GRAD_FILTER,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const m = rowsOf(x.shape);
      const [cin, cout] = [x.shape[x.shape.length - 1], dy.shape[dy.shape.length - 1]];
      const dw = gemm(backend, { info: x, dims: [m, cin] }, { info: dy, dims: [m, cout] }, { transA: true });
      return cpuOutput(backend, [cin, cout], dw);
    },
  },
];

/** Gradient of {@linkcode POINTWISE}. */
export const pointwiseGradConfig: tf.GradConfig = {
  kernelName: POINTWISE,
  inputsToSave: ["x", "w"],
  gradFunc: (dy, saved) => {
    const [x, w] = saved;
    const g = dy as tf.Tensor;
    return {
      x: () => runKernel(POINTWISE_GRAD_INPUT, { dy: g, w }),
      w: () => runKernel(POINTWISE_GRAD_FILTER, { x, dy: g }),
      b: () => runKernel(CHANNEL_SUM, { x: g }),
    };
  },
};
