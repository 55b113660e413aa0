/**
 * cpu fast kernels of {@linkcode gelu}.
 *
 * - forward: ONNX Runtime's `FastGelu` contrib op (`com.microsoft`; the same tanh approximation, vectorised and
 *   multi-threaded: ~4× a JS loop here);
 * - gradient: one JS loop that needs no tanh, from the saved input and output. With u = √(2/π)·(x + 0.044715·x³),
 *   t = tanh(u), y = ½x(1 + t) and r = y / x = ½(1 + t):
 *   dy/dx = ½(1 + t) + ½x(1 − t²)·√(2/π)·(1 + 3·0.044715·x²) = r + 2x·r(1 − r)·√(2/π)·(1 + 3·0.044715·x²),
 *   and ½ at x = 0. r inherits the forward's relative accuracy (~1e-7), so this is as exact as recomputing t.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { runCached } from "../_sessions.ts";
import { cpuOutput, cpuValues, runKernel } from "./_cpu_util.ts";

/** Kernel: input x; output y, same shape. */
export const GELU = "ScreenerGelu";
/** Kernel: inputs dy, x, y (the forward's output); output dx. */
export const GELU_GRAD = "ScreenerGeluGrad";

const K = Math.sqrt(2 / Math.PI);
const A = 0.044715;

/** tanh(u) to float32 accuracy (|error| < 3e-7): Eigen's `generic_fast_tanh_float` rational form. */
export function fastTanh(u: number): number {
  const v = u > 7.90531110763549805 ? 7.90531110763549805 : u < -7.90531110763549805 ? -7.90531110763549805 : u;
  const v2 = v * v;
  let p = v2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = p * v2 - 8.60467152213735e-11;
  p = p * v2 + 5.12229709037114e-8;
  p = p * v2 + 1.48572235717979e-5;
  p = p * v2 + 6.37261928875436e-4;
  p = p * v2 + 4.89352455891786e-3;
  let q = v2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = q * v2 + 2.26843463243900e-3;
  q = q * v2 + 4.89352518554385e-3;
  return (p * v) / q;
}

/**
 * GELU (tanh approximation) in plain JS: the reference for tiny tensors, where an ONNX Runtime run costs more than
 * the loop.
 */
export function geluValues(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = 0.5 * v * (1 + fastTanh(K * (v + A * v * v * v)));
  }
  return y;
}

/** Below this many elements the forward stays in JS (an ONNX Runtime run has a fixed cost of a few µs). */
const ORT_MIN_SIZE = 4096;

/** cpu kernels of gelu and its gradient. */
export const geluCpuKernels: tf.KernelConfig[] = [
  {
    kernelName: GELU,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const xs = cpuValues(backend, x);
      if (xs.length < ORT_MIN_SIZE) return cpuOutput(backend, x.shape, geluValues(xs));
      const n = xs.length;
      const { y } = runCached(`gelu:${n}`, () => ({
        inputs: { x: [n] },
        outputs: { y: [n] },
        nodes: [{ op: "FastGelu", domain: "com.microsoft", inputs: ["x"], outputs: ["y"] }],
      }), { x: { data: xs, dims: [n] } });
      return cpuOutput(backend, x.shape, y);
    },
  },
  {
    kernelName: GELU_GRAD,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x, y } = inputs as Record<string, tf.TensorInfo>;
      const [gs, xs, ys] = [cpuValues(backend, dy), cpuValues(backend, x), cpuValues(backend, y)];
      const dx = new Float32Array(xs.length);
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i];
        if (v === 0) {
          dx[i] = 0.5 * gs[i];
        } else {
          const r = ys[i] / v;
          dx[i] = gs[i] * (r + 2 * v * r * (1 - r) * K * (1 + 3 * A * v * v));
        }
      }
      return cpuOutput(backend, x.shape, dx);
    },
  },
];

/** Gradient of {@linkcode GELU}. */
export const geluGradConfig: tf.GradConfig = {
  kernelName: GELU,
  inputsToSave: ["x"],
  outputsToSave: [true],
  gradFunc: (dy, saved) => ({ x: () => runKernel(GELU_GRAD, { dy: dy as tf.Tensor, x: saved[0], y: saved[1] }) }),
};
