/**
 * cpu fast kernels of {@linkcode conv3d}: ONNX Runtime `Conv` graphs with the NDHWC ↔ NCDHW transposes inside
 * the graph (STACK.md's measured prototype).
 *
 * - forward: `Conv(x, w)` with `w` [kd, kh, kw, Cin, Cout] transposed to ONNX's [Cout, Cin, kd, kh, kw];
 * - input gradient (stride 1, same padding): `Conv(dy, w')` with `w'` [Cin, Cout, kd, kh, kw] spatially flipped —
 *   a plain convolution (ORT's 3D ConvTranspose is correct but several times slower);
 * - filter gradient: `Conv(x', dy')` with the channels as batch ([Cin, N, D, H, W]) and the output gradient as a
 *   [Cout, N, D, H, W] kernel, padded like the forward: the result [Cin, Cout, kd, kh, kw] is the gradient.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { GraphSpec } from "../_onnx_graph.ts";
import { runCached } from "../_sessions.ts";
import { CHANNEL_SUM, cpuOutput, cpuValues, runKernel } from "./_cpu_util.ts";

/** Kernel: inputs x [N, D, H, W, Cin], w [kd, kh, kw, Cin, Cout], optional b [Cout]; output [N, D, H, W, Cout]. */
export const CONV3D = "ScreenerConv3D";
/** Kernel: inputs dy [N, D, H, W, Cout], w; output dx [N, D, H, W, Cin]. */
export const CONV3D_GRAD_INPUT = "ScreenerConv3DGradInput";
/** Kernel: inputs x, dy; attr filterShape; output dw [kd, kh, kw, Cin, Cout]. */
export const CONV3D_GRAD_FILTER = "ScreenerConv3DGradFilter";

const TO_NCDHW = [0, 4, 1, 2, 3];
const TO_NDHWC = [0, 2, 3, 4, 1];

/** Symmetric ONNX `pads` (begin then end) for stride-1 "same" convolution with odd kernel extents. */
export function samePads(kernel: readonly number[]): number[] {
  const half = kernel.map((k) => (k - 1) / 2);
  return [...half, ...half];
}

/** Slice bounds that reverse axes 2, 3, 4 of a [*, *, kd, kh, kw] tensor. */
export function flipConstants(kernel: readonly number[]): Record<string, number[]> {
  return {
    flip_starts: [-1, -1, -1],
    flip_ends: kernel.map((k) => -(k + 1)),
    flip_axes: [2, 3, 4],
    flip_steps: [-1, -1, -1],
  };
}

function forwardGraph(xShape: number[], wShape: number[], bias: boolean): GraphSpec {
  const [n, d, h, w] = xShape;
  const [kd, kh, kw, , cout] = wShape;
  return {
    inputs: bias ? { x: xShape, w: wShape, b: [cout] } : { x: xShape, w: wShape },
    outputs: { y: [n, d, h, w, cout] },
    nodes: [
      { op: "Transpose", inputs: ["x"], outputs: ["xt"], attrs: { perm: TO_NCDHW } },
      { op: "Transpose", inputs: ["w"], outputs: ["wt"], attrs: { perm: [4, 3, 0, 1, 2] } },
      {
        op: "Conv",
        inputs: bias ? ["xt", "wt", "b"] : ["xt", "wt"],
        outputs: ["yt"],
        attrs: { kernel_shape: [kd, kh, kw], pads: samePads([kd, kh, kw]) },
      },
      { op: "Transpose", inputs: ["yt"], outputs: ["y"], attrs: { perm: TO_NDHWC } },
    ],
  };
}

function gradInputGraph(dyShape: number[], wShape: number[]): GraphSpec {
  const [n, d, h, w] = dyShape;
  const [kd, kh, kw, cin] = wShape;
  return {
    inputs: { dy: dyShape, w: wShape },
    outputs: { dx: [n, d, h, w, cin] },
    nodes: [
      { op: "Transpose", inputs: ["dy"], outputs: ["dyt"], attrs: { perm: TO_NCDHW } },
      { op: "Transpose", inputs: ["w"], outputs: ["wt"], attrs: { perm: [3, 4, 0, 1, 2] } },
      { op: "Slice", inputs: ["wt", "flip_starts", "flip_ends", "flip_axes", "flip_steps"], outputs: ["wf"] },
      {
        op: "Conv",
        inputs: ["dyt", "wf"],
        outputs: ["dxt"],
        attrs: { kernel_shape: [kd, kh, kw], pads: samePads([kd, kh, kw]) },
      },
      { op: "Transpose", inputs: ["dxt"], outputs: ["dx"], attrs: { perm: TO_NDHWC } },
    ],
    int64: flipConstants([kd, kh, kw]),
  };
}

function gradFilterGraph(xShape: number[], dyShape: number[], filterShape: number[]): GraphSpec {
  const [, d, h, w] = xShape;
  const [kd, kh, kw] = filterShape;
  return {
    inputs: { x: xShape, dy: dyShape },
    outputs: { dw: filterShape },
    nodes: [
      { op: "Transpose", inputs: ["x"], outputs: ["xt"], attrs: { perm: [4, 0, 1, 2, 3] } },
      { op: "Transpose", inputs: ["dy"], outputs: ["dyt"], attrs: { perm: [4, 0, 1, 2, 3] } },
      {
        op: "Conv",
        inputs: ["xt", "dyt"],
        outputs: ["dwt"],
        attrs: { kernel_shape: [d, h, w], pads: samePads([kd, kh, kw]) },
      },
      { op: "Transpose", inputs: ["dwt"], outputs: ["dw"], attrs: { perm: [2, 3, 4, 0, 1] } },
    ],
  };
}

/** cpu kernels of conv3d and its two gradients. */
export const conv3dCpuKernels: tf.KernelConfig[] = [
  {
    kernelName: CONV3D,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, w, b } = inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b?: tf.TensorInfo };
      const bias = b !== undefined;
      const key = `conv3d.fwd:${x.shape}:${w.shape}:${bias}`;
      const feeds = {
        x: { data: cpuValues(backend, x), dims: x.shape },
        w: { data: cpuValues(backend, w), dims: w.shape },
        ...(bias ? { b: { data: cpuValues(backend, b), dims: b.shape } } : {}),
      };
      const { y } = runCached(key, () => forwardGraph(x.shape, w.shape, bias), feeds);
      return cpuOutput(backend, [x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[4]], y);
    },
  },
  {
    kernelName: CONV3D_GRAD_INPUT,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, w } = inputs as { dy: tf.TensorInfo; w: tf.TensorInfo };
      const key = `conv3d.dx:${dy.shape}:${w.shape}`;
      const { dx } = runCached(key, () => gradInputGraph(dy.shape, w.shape), {
        dy: { data: cpuValues(backend, dy), dims: dy.shape },
        w: { data: cpuValues(backend, w), dims: w.shape },
      });
      return cpuOutput(backend, [dy.shape[0], dy.shape[1], dy.shape[2], dy.shape[3], w.shape[3]], dx);
    },
  },
  {
    kernelName: CONV3D_GRAD_FILTER,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { filterShape } = attrs as { filterShape: number[] };
      const key = `conv3d.dw:${x.shape}:${dy.shape}:${filterShape}`;
      const { dw } = runCached(key, () => gradFilterGraph(x.shape, dy.shape, filterShape), {
        x: { data: cpuValues(backend, x), dims: x.shape },
        dy: { data: cpuValues(backend, dy), dims: dy.shape },
      });
      return cpuOutput(backend, filterShape, dw);
    },
  },
];

/** Gradient of {@linkcode CONV3D}: each input's gradient is a fast kernel, computed only if asked for. */
export const conv3dGradConfig: tf.GradConfig = {
  kernelName: CONV3D,
  inputsToSave: ["x", "w"],
  gradFunc: (dy, saved) => {
    const [x, w] = saved;
    const g = dy as tf.Tensor;
    return {
      x: () => runKernel(CONV3D_GRAD_INPUT, { dy: g, w }),
      w: () => runKernel(CONV3D_GRAD_FILTER, { x, dy: g }, { filterShape: w.shape }),
      b: () => runKernel(CHANNEL_SUM, { x: g }),
    };
  },
};
