/**
 * cpu fast kernels of {@linkcode addScaled}: fused JS loops (the stock cpu kernels take a slow generic path for a
 * per-channel broadcast, and again for its gradient's reduction).
 *
 * @module
 */
import { tf } from "../tf.ts";
import { cpuOutput, cpuValues, runKernel } from "./_cpu_util.ts";

/** Kernel: inputs x [..., C], h [..., C], scale [C]; output x + h·scale. */
export const ADD_SCALED = "ScreenerAddScaled";
/** Kernel: inputs dy [..., C], scale [C]; output dy·scale. */
export const SCALE_CHANNELS = "ScreenerScaleChannels";
/** Kernel: inputs dy [..., C], h [..., C]; output Σ dy·h over all but the last axis, [C]. */
export const CHANNEL_DOT = "ScreenerChannelDot";

/** cpu kernels of addScaled and its gradients. */
export const addScaledCpuKernels: tf.KernelConfig[] = [
  {
    kernelName: ADD_SCALED,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, h, scale } = inputs as Record<string, tf.TensorInfo>;
      const [xs, hs, s] = [cpuValues(backend, x), cpuValues(backend, h), cpuValues(backend, scale)];
      const c = s.length;
      const y = new Float32Array(xs.length);
      for (let i = 0; i < xs.length; i += c) {
        for (let k = 0; k < c; k++) y[i + k] = xs[i + k] + hs[i + k] * s[k];
      }
      return cpuOutput(backend, x.shape, y);
    },
  },
  {
    kernelName: SCALE_CHANNELS,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, scale } = inputs as Record<string, tf.TensorInfo>;
      const [g, s] = [cpuValues(backend, dy), cpuValues(backend, scale)];
      const c = s.length;
      const out = new Float32Array(g.length);
      for (let i = 0; i < g.length; i += c) {
        for (let k = 0; k < c; k++) out[i + k] = g[i + k] * s[k];
      }
      return cpuOutput(backend, dy.shape, out);
    },
  },
  {
    kernelName: CHANNEL_DOT,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, h } = inputs as Record<string, tf.TensorInfo>;
      const [g, hs] = [cpuValues(backend, dy), cpuValues(backend, h)];
      const c = h.shape[h.shape.length - 1];
      const acc = new Float64Array(c);
      for (let i = 0; i < g.length; i += c) {
        for (let k = 0; k < c; k++) acc[k] += g[i + k] * hs[i + k];
      }
      return cpuOutput(backend, [c], Float32Array.from(acc));
    },
  },
];

/** Gradient of {@linkcode ADD_SCALED}: dx = dy, dh = dy·scale, dscale = Σ dy·h. */
export const addScaledGradConfig: tf.GradConfig = {
  kernelName: ADD_SCALED,
  inputsToSave: ["h", "scale"],
  gradFunc: (dy, saved) => {
    const [h, scale] = saved;
    const g = dy as tf.Tensor;
    return {
      x: () => tf.clone(g),
      h: () => runKernel(SCALE_CHANNELS, { dy: g, scale }),
      scale: () => runKernel(CHANNEL_DOT, { dy: g, h }),
    };
  },
};
