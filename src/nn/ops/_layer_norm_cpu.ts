/**
 * cpu fast kernels of {@linkcode layerNorm}: fused JS loops over the cpu backend's typed arrays, one voxel's C
 * channels at a time (statistics in float64). The gradients recompute the per-voxel mean and 1/σ from `x` rather
 * than keeping them: a pass over C values per voxel costs less than two extra tensors.
 *
 * With x̂ = (x − μ)·r, r = 1/√(σ² + eps), g = dy·γ:
 * dx = r·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ dy·x̂, dβ = Σ dy (sums over voxels).
 *
 * @module
 */
import { tf } from "../tf.ts";
import { CHANNEL_SUM, cpuOutput, cpuValues, runKernel } from "./_cpu_util.ts";

/** Kernel: inputs x [..., C], gamma [C], beta [C]; attr eps; output y. */
export const LAYER_NORM = "ScreenerLayerNorm";
/** Kernel: inputs dy, x, gamma; attr eps; output dx. */
export const LAYER_NORM_GRAD_INPUT = "ScreenerLayerNormGradInput";
/** Kernel: inputs dy, x; attr eps; output dgamma [C]. */
export const LAYER_NORM_GRAD_GAMMA = "ScreenerLayerNormGradGamma";

function forward(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number): Float32Array {
  const c = gamma.length;
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i += c) {
    let mean = 0;
    for (let k = 0; k < c; k++) mean += x[i + k];
    mean /= c;
    let v = 0;
    for (let k = 0; k < c; k++) {
      const e = x[i + k] - mean;
      v += e * e;
    }
    const r = 1 / Math.sqrt(v / c + eps);
    for (let k = 0; k < c; k++) y[i + k] = (x[i + k] - mean) * r * gamma[k] + beta[k];
  }
  return y;
}

function gradInput(dy: Float32Array, x: Float32Array, gamma: Float32Array, eps: number): Float32Array {
  const c = gamma.length;
  const dx = new Float32Array(x.length);
  const xhat = new Float64Array(c);
  for (let i = 0; i < x.length; i += c) {
    let mean = 0;
    for (let k = 0; k < c; k++) mean += x[i + k];
    mean /= c;
    let v = 0;
    for (let k = 0; k < c; k++) {
      const e = x[i + k] - mean;
      v += e * e;
    }
    const r = 1 / Math.sqrt(v / c + eps);
    let sumG = 0, sumGX = 0;
    for (let k = 0; k < c; k++) {
      const xh = (x[i + k] - mean) * r;
      const g = dy[i + k] * gamma[k];
      xhat[k] = xh;
      sumG += g;
      sumGX += g * xh;
    }
    sumG /= c;
    sumGX /= c;
    for (let k = 0; k < c; k++) dx[i + k] = r * (dy[i + k] * gamma[k] - sumG - xhat[k] * sumGX);
  }
  return dx;
}

function gradGamma(dy: Float32Array, x: Float32Array, c: number, eps: number): Float32Array {
  const acc = new Float64Array(c);
  for (let i = 0; i < x.length; i += c) {
    let mean = 0;
    for (let k = 0; k < c; k++) mean += x[i + k];
    mean /= c;
    let v = 0;
    for (let k = 0; k < c; k++) {
      const e = x[i + k] - mean;
      v += e * e;
    }
    const r = 1 / Math.sqrt(v / c + eps);
    for (let k = 0; k < c; k++) acc[k] += dy[i + k] * (x[i + k] - mean) * r;
  }
  return Float32Array.from(acc);
}

/** cpu kernels of layerNorm and its gradients. */
export const layerNormCpuKernels: tf.KernelConfig[] = [
  {
    kernelName: LAYER_NORM,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
      const { eps } = attrs as { eps: number };
      const y = forward(cpuValues(backend, x), cpuValues(backend, gamma), cpuValues(backend, beta), eps);
      return cpuOutput(backend, x.shape, y);
    },
  },
  {
    kernelName: LAYER_NORM_GRAD_INPUT,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x, gamma } = inputs as Record<string, tf.TensorInfo>;
      const { eps } = attrs as { eps: number };
      const dx = gradInput(cpuValues(backend, dy), cpuValues(backend, x), cpuValues(backend, gamma), eps);
      return cpuOutput(backend, x.shape, dx);
    },
  },
  {
    kernelName: LAYER_NORM_GRAD_GAMMA,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x } = inputs as Record<string, tf.TensorInfo>;
      const { eps } = attrs as { eps: number };
      const c = x.shape[x.shape.length - 1];
      return cpuOutput(backend, [c], gradGamma(cpuValues(backend, dy), cpuValues(backend, x), c, eps));
    },
  },
];

/** Gradient of {@linkcode LAYER_NORM}. */
export const layerNormGradConfig: tf.GradConfig = {
  kernelName: LAYER_NORM,
  inputsToSave: ["x", "gamma"],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma] = saved;
    const g = dy as tf.Tensor;
    const { eps } = attrs as unknown as { eps: number };
    return {
      x: () => runKernel(LAYER_NORM_GRAD_INPUT, { dy: g, x, gamma }, { eps }),
      gamma: () => runKernel(LAYER_NORM_GRAD_GAMMA, { dy: g, x }, { eps }),
      beta: () => runKernel(CHANNEL_SUM, { x: g }),
    };
  },
};
