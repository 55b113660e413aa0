/**
 * The start-up self-check `initBackend()` runs on a candidate backend: a tiny composite of every op
 * (conv3d → depthwiseConv3d → layerNorm → gelu → pointwise → addScaled → patchDown → patchUp) on a [1, 8, 8, 8, 2]
 * input, its output and the gradients of Σ y·r with respect to the input and all 13 weights, compared with the same
 * computation on tfjs's stock cpu backend through the generic tfjs path (an independent implementation of every
 * fast kernel, and a float32 reference for every other backend's kernels).
 *
 * @module
 */
import { tf } from "./tf.ts";
import { enableFastKernels } from "./_fast_kernels.ts";
import { fastKernelsEnabled } from "./_fast_state.ts";
import { quietSetBackend } from "./_quiet.ts";
import { addScaled } from "./ops/add_scaled.ts";
import { conv3d } from "./ops/conv3d.ts";
import { depthwiseConv3d } from "./ops/depthwise_conv3d.ts";
import { gelu } from "./ops/gelu.ts";
import { layerNorm } from "./ops/layer_norm.ts";
import { patchDown } from "./ops/patch_down.ts";
import { patchUp } from "./ops/patch_up.ts";
import { pointwise } from "./ops/pointwise.ts";

/** Outcome of {@linkcode selfCheck}. */
export interface SelfCheckResult {
  /** Whether every value is within tolerance. */
  readonly ok: boolean;
  /** Largest |candidate − reference| / (1 + |reference|) over the output and all gradients. */
  readonly maxError: number;
  /** What was checked and the worst value, in one line. */
  readonly detail: string;
}

/** Relative tolerance of the self-check (float32 sums in a different order stay well below it). */
export const SELF_CHECK_TOLERANCE = 1e-3;

// 8 channels on 8³ voxels: 4096 values reach GELU, the size from which the cpu kernel uses ONNX Runtime.
const SHAPES: Record<string, number[]> = {
  x: [1, 8, 8, 8, 2],
  w1: [3, 3, 3, 2, 8],
  b1: [8],
  w2: [3, 3, 3, 8],
  b2: [8],
  gamma: [8],
  beta: [8],
  w3: [8, 8],
  b3: [8],
  w4: [64, 4],
  b4: [4],
  w5: [4, 16],
  b5: [2],
  s: [8],
  r: [1, 8, 8, 8, 2],
};

function values(n: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 1.5;
  }
  return out;
}

/** Output and gradients of the composite on the active backend, read back asynchronously (webgpu has no sync read). */
async function composite(): Promise<Float32Array[]> {
  const kept = tf.tidy(() => {
    const t: Record<string, tf.Tensor> = {};
    Object.entries(SHAPES).forEach(([name, shape], k) => {
      const data = values(shape.reduce((a, b) => a * b, 1), 17 + k);
      if (name === "gamma") data.forEach((v, i) => (data[i] = 1 + 0.5 * v));
      t[name] = tf.tensor(data, shape);
    });
    const names = Object.keys(SHAPES).filter((n) => n !== "r");
    const f = (...args: tf.Tensor[]) => {
      const a = Object.fromEntries(names.map((n, i) => [n, args[i]]));
      let h = conv3d(a.x as tf.Tensor5D, a.w1 as tf.Tensor5D, a.b1 as tf.Tensor1D);
      h = depthwiseConv3d(h, a.w2 as tf.Tensor4D, a.b2 as tf.Tensor1D);
      const g = gelu(layerNorm(h, a.gamma as tf.Tensor1D, a.beta as tf.Tensor1D));
      h = addScaled(h, pointwise(g, a.w3 as tf.Tensor2D, a.b3 as tf.Tensor1D), a.s as tf.Tensor1D);
      h = patchDown(h, a.w4 as tf.Tensor2D, a.b4 as tf.Tensor1D);
      return patchUp(h, a.w5 as tf.Tensor2D, a.b5 as tf.Tensor1D);
    };
    const y = f(...names.map((n) => t[n]));
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), t.r)))(names.map((n) => t[n]));
    return [y, ...grads];
  });
  try {
    return await Promise.all(kept.map(async (t) => Float32Array.from(await t.data())));
  } finally {
    tf.dispose(kept);
  }
}

/**
 * Runs the composite on the active backend (with the fast kernels as currently switched), then on the stock cpu
 * backend through the generic path, and compares. Leaves the active backend and the fast-kernel switch as found.
 *
 * @returns Whether the candidate agrees with the reference within {@linkcode SELF_CHECK_TOLERANCE}.
 */
export async function selfCheck(): Promise<SelfCheckResult> {
  const backend = tf.getBackend();
  const fast = fastKernelsEnabled();
  let candidate: Float32Array[];
  try {
    candidate = await composite();
  } catch (error) {
    return { ok: false, maxError: Infinity, detail: `self-check threw: ${(error as Error).message}` };
  }
  let reference: Float32Array[];
  try {
    enableFastKernels(false);
    if (!(await quietSetBackend("cpu"))) throw new Error("Cannot run the self-check: the cpu backend did not start");
    reference = await composite();
  } finally {
    await quietSetBackend(backend);
    enableFastKernels(fast);
  }
  const labels = ["output", "dx", ...Object.keys(SHAPES).slice(1, -1).map((n) => `d${n}`)];
  let maxError = 0, worst = "";
  reference.forEach((ref, k) => {
    ref.forEach((v, i) => {
      const e = Math.abs(candidate[k][i] - v) / (1 + Math.abs(v));
      const err = Number.isNaN(e) ? Infinity : e; // a NaN anywhere fails the check
      if (err > maxError) [maxError, worst] = [err, labels[k]];
    });
  });
  const ok = maxError <= SELF_CHECK_TOLERANCE;
  const detail =
    `self-check (8 ops, forward and ${labels.length - 1} gradients vs stock cpu) ${ok ? "passed" : "failed"}: ` +
    `max relative error ${maxError.toExponential(1)}${worst ? ` in ${worst}` : ""}`;
  return { ok, maxError, detail };
}
