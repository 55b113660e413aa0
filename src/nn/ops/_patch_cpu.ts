/**
 * cpu fast kernels of {@linkcode patchDown} and {@linkcode patchUp}: one ONNX Runtime graph each way, a reshape and
 * transpose that moves each 2×2×2 block into (or out of) the channel axis plus a `Gemm`.
 *
 * Space-to-depth of x [N, D, H, W, C]: reshape to [N·D/2, 2, H/2, 2, W/2, 2·C], transpose to
 * [N·D/2, H/2, W/2, 2, 2, 2·C], reshape to [M, 8·C] — so row index ((dz·2 + dy)·2 + dx)·C + c, as documented on the
 * ops. Depth-to-space is its inverse.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { GraphSpec, NodeSpec } from "../_onnx_graph.ts";
import { runCached } from "../_sessions.ts";
import { CHANNEL_SUM, cpuOutput, cpuValues, runKernel } from "./_cpu_util.ts";

/** Kernel: inputs x [N, D, H, W, Cin], w [8·Cin, Cout], optional b; output [N, D/2, H/2, W/2, Cout]. */
export const PATCH_DOWN = "ScreenerPatchDown";
/** Kernel: inputs dy [N, D/2, H/2, W/2, Cout], w; output dx [N, D, H, W, Cin]. */
export const PATCH_DOWN_GRAD_INPUT = "ScreenerPatchDownGradInput";
/** Kernel: inputs x, dy; output dw [8·Cin, Cout]. */
export const PATCH_DOWN_GRAD_FILTER = "ScreenerPatchDownGradFilter";
/** Kernel: inputs x [N, D, H, W, Cin], w [Cin, 8·Cout], optional b [Cout]; output [N, 2D, 2H, 2W, Cout]. */
export const PATCH_UP = "ScreenerPatchUp";
/** Kernel: inputs dy [N, 2D, 2H, 2W, Cout], w; output dx [N, D, H, W, Cin]. */
export const PATCH_UP_GRAD_INPUT = "ScreenerPatchUpGradInput";
/** Kernel: inputs x, dy; output dw [Cin, 8·Cout]. */
export const PATCH_UP_GRAD_FILTER = "ScreenerPatchUpGradFilter";

/** Nodes turning `input` (a fine grid [N, D, H, W, C]) into `output` [N·D·H·W/8, 8·C]. */
function spaceToDepth(
  input: string,
  output: string,
  fine: number[],
): { nodes: NodeSpec[]; int64: Record<string, number[]> } {
  const [n, d, h, w, c] = fine;
  return {
    nodes: [
      { op: "Reshape", inputs: [input, `${output}_s6`], outputs: [`${output}_6`] },
      { op: "Transpose", inputs: [`${output}_6`], outputs: [`${output}_t`], attrs: { perm: [0, 2, 4, 1, 3, 5] } },
      { op: "Reshape", inputs: [`${output}_t`, `${output}_s2`], outputs: [output] },
    ],
    int64: {
      [`${output}_s6`]: [(n * d) / 2, 2, h / 2, 2, w / 2, 2 * c],
      [`${output}_s2`]: [(n * d * h * w) / 8, 8 * c],
    },
  };
}

/** Nodes turning `input` [N·D·H·W/8, 8·C] into `output`, the fine grid [N, D, H, W, C]. */
function depthToSpace(
  input: string,
  output: string,
  fine: number[],
): { nodes: NodeSpec[]; int64: Record<string, number[]> } {
  const [n, d, h, w, c] = fine;
  return {
    nodes: [
      { op: "Reshape", inputs: [input, `${output}_s6`], outputs: [`${output}_6`] },
      { op: "Transpose", inputs: [`${output}_6`], outputs: [`${output}_t`], attrs: { perm: [0, 3, 1, 4, 2, 5] } },
      { op: "Reshape", inputs: [`${output}_t`, `${output}_s5`], outputs: [output] },
    ],
    int64: {
      [`${output}_s6`]: [(n * d) / 2, h / 2, w / 2, 2, 2, 2 * c],
      [`${output}_s5`]: [n, d, h, w, c],
    },
  };
}

function coarse(fine: readonly number[], c: number): number[] {
  return [fine[0], fine[1] / 2, fine[2] / 2, fine[3] / 2, c];
}

function gemmNode(
  a: string,
  b: string,
  out: string,
  opts: { c?: string; transA?: boolean; transB?: boolean },
): NodeSpec {
  return {
    op: "Gemm",
    inputs: opts.c ? [a, b, opts.c] : [a, b],
    outputs: [out],
    attrs: { transA: opts.transA ? 1 : 0, transB: opts.transB ? 1 : 0 },
  };
}

/** patchDown forward: y2 = s2d(x)·w (+ b), y [N, D/2, H/2, W/2, Cout]. */
function downForward(x: number[], w: number[], bias: boolean): GraphSpec {
  const s2d = spaceToDepth("x", "xs", x);
  const m = (x[0] * x[1] * x[2] * x[3]) / 8;
  return {
    inputs: bias ? { x, w, b: [w[1]] } : { x, w },
    outputs: { y: [m, w[1]] },
    nodes: [...s2d.nodes, gemmNode("xs", "w", "y", { c: bias ? "b" : undefined })],
    int64: s2d.int64,
  };
}

/** patchDown input gradient: dx = d2s(dy·wᵀ). */
function downGradInput(x: number[], w: number[]): GraphSpec {
  const m = (x[0] * x[1] * x[2] * x[3]) / 8;
  const d2s = depthToSpace("g", "dx", x);
  return {
    inputs: { dy: [m, w[1]], w },
    outputs: { dx: x },
    nodes: [gemmNode("dy", "w", "g", { transB: true }), ...d2s.nodes],
    int64: d2s.int64,
  };
}

/** patchDown filter gradient: dw = s2d(x)ᵀ·dy. */
function downGradFilter(x: number[], cout: number): GraphSpec {
  const m = (x[0] * x[1] * x[2] * x[3]) / 8;
  const s2d = spaceToDepth("x", "xs", x);
  return {
    inputs: { x, dy: [m, cout] },
    outputs: { dw: [8 * x[4], cout] },
    nodes: [...s2d.nodes, gemmNode("xs", "dy", "dw", { transA: true })],
    int64: s2d.int64,
  };
}

/** patchUp forward: y = d2s(x·w + tile(b, 8)). */
function upForward(x: number[], w: number[], bias: boolean): GraphSpec {
  const m = x[0] * x[1] * x[2] * x[3];
  const cout = w[1] / 8;
  const fine = [x[0], 2 * x[1], 2 * x[2], 2 * x[3], cout];
  const d2s = depthToSpace("g", "y", fine);
  const nodes: NodeSpec[] = bias ? [{ op: "Tile", inputs: ["b", "repeats"], outputs: ["b8"] }] : [];
  nodes.push(gemmNode("x", "w", "g", { c: bias ? "b8" : undefined }), ...d2s.nodes);
  return {
    inputs: bias ? { x: [m, x[4]], w, b: [cout] } : { x: [m, x[4]], w },
    outputs: { y: fine },
    nodes,
    int64: { ...d2s.int64, ...(bias ? { repeats: [8] } : {}) },
  };
}

/** patchUp input gradient: dx = s2d(dy)·wᵀ. */
function upGradInput(x: number[], w: number[]): GraphSpec {
  const fine = [x[0], 2 * x[1], 2 * x[2], 2 * x[3], w[1] / 8];
  const s2d = spaceToDepth("dy", "gs", fine);
  return {
    inputs: { dy: fine, w },
    outputs: { dx: [x[0] * x[1] * x[2] * x[3], x[4]] },
    nodes: [...s2d.nodes, gemmNode("gs", "w", "dx", { transB: true })],
    int64: s2d.int64,
  };
}

/** patchUp filter gradient: dw = xᵀ·s2d(dy). */
function upGradFilter(x: number[], w: number[]): GraphSpec {
  const m = x[0] * x[1] * x[2] * x[3];
  const fine = [x[0], 2 * x[1], 2 * x[2], 2 * x[3], w[1] / 8];
  const s2d = spaceToDepth("dy", "gs", fine);
  return {
    inputs: { x: [m, x[4]], dy: fine },
    outputs: { dw: w },
    nodes: [...s2d.nodes, gemmNode("x", "gs", "dw", { transA: true })],
    int64: s2d.int64,
  };
}

type Infos = Record<string, tf.TensorInfo | undefined>;

function feed(backend: unknown, info: tf.TensorInfo, dims: readonly number[] = info.shape) {
  return { data: cpuValues(backend, info), dims };
}

/** cpu kernels of patchDown, patchUp and their gradients. */
export const patchCpuKernels: tf.KernelConfig[] = [
  {
    kernelName: PATCH_DOWN,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, w, b } = inputs as Infos as { x: tf.TensorInfo; w: tf.TensorInfo; b?: tf.TensorInfo };
      const bias = b !== undefined;
      const { y } = runCached(
        `patchDown.fwd:${x.shape}:${w.shape}:${bias}`,
        () => downForward(x.shape, w.shape, bias),
        {
          x: feed(backend, x),
          w: feed(backend, w),
          ...(bias ? { b: feed(backend, b) } : {}),
        },
      );
      return cpuOutput(backend, coarse(x.shape, w.shape[1]), y);
    },
  },
  {
    kernelName: PATCH_DOWN_GRAD_INPUT,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, w } = inputs as Record<string, tf.TensorInfo>;
      const { xShape } = attrs as { xShape: number[] };
      const m = (xShape[0] * xShape[1] * xShape[2] * xShape[3]) / 8;
      const { dx } = runCached(`patchDown.dx:${xShape}:${w.shape}`, () => downGradInput(xShape, w.shape), {
        dy: feed(backend, dy, [m, w.shape[1]]),
        w: feed(backend, w),
      });
      return cpuOutput(backend, xShape, dx);
    },
  },
  {
    kernelName: PATCH_DOWN_GRAD_FILTER,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, dy } = inputs as Record<string, tf.TensorInfo>;
      const cout = dy.shape[4];
      const m = (x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3]) / 8;
      const { dw } = runCached(`patchDown.dw:${x.shape}:${cout}`, () => downGradFilter(x.shape, cout), {
        x: feed(backend, x),
        dy: feed(backend, dy, [m, cout]),
      });
      return cpuOutput(backend, [8 * x.shape[4], cout], dw);
    },
  },
  {
    kernelName: PATCH_UP,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, w, b } = inputs as Infos as { x: tf.TensorInfo; w: tf.TensorInfo; b?: tf.TensorInfo };
      const bias = b !== undefined;
      const m = x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3];
      const { y } = runCached(`patchUp.fwd:${x.shape}:${w.shape}:${bias}`, () => upForward(x.shape, w.shape, bias), {
        x: feed(backend, x, [m, x.shape[4]]),
        w: feed(backend, w),
        ...(bias ? { b: feed(backend, b) } : {}),
      });
      return cpuOutput(backend, [x.shape[0], 2 * x.shape[1], 2 * x.shape[2], 2 * x.shape[3], w.shape[1] / 8], y);
    },
  },
  {
    kernelName: PATCH_UP_GRAD_INPUT,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, w } = inputs as Record<string, tf.TensorInfo>;
      const { xShape } = attrs as { xShape: number[] };
      const { dx } = runCached(`patchUp.dx:${xShape}:${w.shape}`, () => upGradInput(xShape, w.shape), {
        dy: feed(backend, dy),
        w: feed(backend, w),
      });
      return cpuOutput(backend, xShape, dx);
    },
  },
  {
    kernelName: PATCH_UP_GRAD_FILTER,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as Record<string, tf.TensorInfo>;
      const { wShape } = attrs as { wShape: number[] };
      const m = x.shape[0] * x.shape[1] * x.shape[2] * x.shape[3];
      const { dw } = runCached(`patchUp.dw:${x.shape}:${wShape}`, () => upGradFilter(x.shape, wShape), {
        x: feed(backend, x, [m, x.shape[4]]),
        dy: feed(backend, dy),
      });
      return cpuOutput(backend, wShape, dw);
    },
  },
];

/** Gradients of {@linkcode PATCH_DOWN} and {@linkcode PATCH_UP}. */
export const patchGradConfigs: tf.GradConfig[] = [
  {
    kernelName: PATCH_DOWN,
    inputsToSave: ["x", "w"],
    gradFunc: (dy, saved) => {
      const [x, w] = saved;
      const g = dy as tf.Tensor;
      return {
        x: () => runKernel(PATCH_DOWN_GRAD_INPUT, { dy: g, w }, { xShape: x.shape }),
        w: () => runKernel(PATCH_DOWN_GRAD_FILTER, { x, dy: g }),
        b: () => runKernel(CHANNEL_SUM, { x: g }),
      };
    },
  },
  {
    kernelName: PATCH_UP,
    inputsToSave: ["x", "w"],
    gradFunc: (dy, saved) => {
      const [x, w] = saved;
      const g = dy as tf.Tensor;
      return {
        x: () => runKernel(PATCH_UP_GRAD_INPUT, { dy: g, w }, { xShape: x.shape }),
        w: () => runKernel(PATCH_UP_GRAD_FILTER, { x, dy: g }, { wShape: w.shape }),
        b: () => runKernel(CHANNEL_SUM, { x: g }),
      };
    },
  },
];
