/**
 * cpu fast kernels of {@linkcode depthwiseConv3d}: ONNX Runtime grouped `Conv` (`group` = C) with the layout
 * transposes inside the graph.
 *
 * - forward: `Conv(x, w, group = C)` with `w` [kd, kh, kw, C] reshaped to ONNX's [C, 1, kd, kh, kw];
 * - input gradient: the same convolution of `dy` with the spatially flipped filter;
 * - filter gradient: a grouped convolution with the batch folded into the channels — input [1, C·N, D, H, W],
 *   kernel `dy` as [C, N, D, H, W], `group` = C, padded like the forward — whose [1, C, kd, kh, kw] output is the
 *   gradient.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { GraphSpec, NodeSpec } from "../_onnx_graph.ts";
import { runCached } from "../_sessions.ts";
import { flipConstants, samePads } from "./_conv3d_cpu.ts";
import { CHANNEL_SUM, cpuOutput, cpuValues, runKernel } from "./_cpu_util.ts";

/** Kernel: inputs x [N, D, H, W, C], w [kd, kh, kw, C], optional b [C]; output [N, D, H, W, C]. */
export const DEPTHWISE_CONV3D = "ScreenerDepthwiseConv3D";
/** Kernel: inputs dy [N, D, H, W, C], w; output dx. */
export const DEPTHWISE_CONV3D_GRAD_INPUT = "ScreenerDepthwiseConv3DGradInput";
/** Kernel: inputs x, dy; attr filterShape; output dw [kd, kh, kw, C]. */
export const DEPTHWISE_CONV3D_GRAD_FILTER = "ScreenerDepthwiseConv3DGradFilter";

function convGraph(xShape: number[], wShape: number[], bias: boolean, flip: boolean): GraphSpec {
  const [kd, kh, kw, c] = wShape;
  const nodes: NodeSpec[] = [
    { op: "Transpose", inputs: ["x"], outputs: ["xt"], attrs: { perm: [0, 4, 1, 2, 3] } },
    { op: "Transpose", inputs: ["w"], outputs: ["wt"], attrs: { perm: [3, 0, 1, 2] } },
    { op: "Reshape", inputs: ["wt", "w_shape"], outputs: [flip ? "wr" : "wf"] },
    ...(flip
      ? [{ op: "Slice", inputs: ["wr", "flip_starts", "flip_ends", "flip_axes", "flip_steps"], outputs: ["wf"] }]
      : []),
    {
      op: "Conv",
      inputs: bias ? ["xt", "wf", "b"] : ["xt", "wf"],
      outputs: ["yt"],
      attrs: { group: c, kernel_shape: [kd, kh, kw], pads: samePads([kd, kh, kw]) },
    },
    { op: "Transpose", inputs: ["yt"], outputs: ["y"], attrs: { perm: [0, 2, 3, 4, 1] } },
  ];
  return {
    inputs: bias ? { x: xShape, w: wShape, b: [c] } : { x: xShape, w: wShape },
    outputs: { y: xShape },
    nodes,
    int64: { w_shape: [c, 1, kd, kh, kw], ...(flip ? flipConstants([kd, kh, kw]) : {}) },
  };
}

function gradFilterGraph(xShape: number[], filterShape: number[]): GraphSpec {
  const [n, d, h, w, c] = xShape;
  const [kd, kh, kw] = filterShape;
  return {
    inputs: { x: xShape, dy: xShape },
    outputs: { dw: filterShape },
    nodes: [
      { op: "Transpose", inputs: ["x"], outputs: ["xt"], attrs: { perm: [4, 0, 1, 2, 3] } },
      { op: "Reshape", inputs: ["xt", "x_shape"], outputs: ["xr"] },
      { op: "Transpose", inputs: ["dy"], outputs: ["dyt"], attrs: { perm: [4, 0, 1, 2, 3] } },
      {
        op: "Conv",
        inputs: ["xr", "dyt"],
        outputs: ["dwt"],
        attrs: { group: c, kernel_shape: [d, h, w], pads: samePads([kd, kh, kw]) },
      },
      { op: "Reshape", inputs: ["dwt", "dw_shape"], outputs: ["dwr"] },
      { op: "Transpose", inputs: ["dwr"], outputs: ["dw"], attrs: { perm: [1, 2, 3, 0] } },
    ],
    int64: { x_shape: [1, c * n, d, h, w], dw_shape: [c, kd, kh, kw] },
  };
}

function runConv(backend: unknown, x: tf.TensorInfo, w: tf.TensorInfo, b: tf.TensorInfo | undefined, flip: boolean) {
  const bias = b !== undefined;
  const key = `depthwise.${flip ? "dx" : "fwd"}:${x.shape}:${w.shape}:${bias}`;
  const { y } = runCached(key, () => convGraph(x.shape, w.shape, bias, flip), {
    x: { data: cpuValues(backend, x), dims: x.shape },
    w: { data: cpuValues(backend, w), dims: w.shape },
    ...(bias ? { b: { data: cpuValues(backend, b), dims: b.shape } } : {}),
  });
  return cpuOutput(backend, x.shape, y);
}

/** cpu kernels of depthwiseConv3d and its two gradients. */
export const depthwiseConv3dCpuKernels: tf.KernelConfig[] = [
  {
    kernelName: DEPTHWISE_CONV3D,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, w, b } = inputs as { x: tf.TensorInfo; w: tf.TensorInfo; b?: tf.TensorInfo };
      return runConv(backend, x, w, b, false);
    },
  },
  {
    kernelName: DEPTHWISE_CONV3D_GRAD_INPUT,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, w } = inputs as { dy: tf.TensorInfo; w: tf.TensorInfo };
      return runConv(backend, dy, w, undefined, true);
    },
  },
  {
    kernelName: DEPTHWISE_CONV3D_GRAD_FILTER,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { filterShape } = attrs as { filterShape: number[] };
      const key = `depthwise.dw:${x.shape}:${filterShape}`;
      const { dw } = runCached(key, () => gradFilterGraph(x.shape, filterShape), {
        x: { data: cpuValues(backend, x), dims: x.shape },
        dy: { data: cpuValues(backend, dy), dims: dy.shape },
      });
      return cpuOutput(backend, filterShape, dw);
    },
  },
];

/** Gradient of {@linkcode DEPTHWISE_CONV3D}. */
export const depthwiseConv3dGradConfig: tf.GradConfig = {
  kernelName: DEPTHWISE_CONV3D,
  inputsToSave: ["x", "w"],
  gradFunc: (dy, saved) => {
    const [x, w] = saved;
    const g = dy as tf.Tensor;
    return {
      x: () => runKernel(DEPTHWISE_CONV3D_GRAD_INPUT, { dy: g, w }),
      w: () => runKernel(DEPTHWISE_CONV3D_GRAD_FILTER, { x, dy: g }, { filterShape: w.shape }),
      b: () => runKernel(CHANNEL_SUM, { x: g }),
    };
  },
};
