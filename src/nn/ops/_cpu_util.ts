/**
 * Helpers shared by the cpu fast kernels: typed-array access to the cpu backend's tensor storage, output creation,
 * and the channel-sum kernel every bias gradient uses.
 *
 * @module
 */
import { tf } from "../tf.ts";

/** The part of tfjs's `MathBackendCPU` that the fast kernels use. */
export interface CpuBackendLike {
  readonly data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/**
 * The backing `Float32Array` of a tensor on the cpu backend (no copy: never write to it).
 *
 * @throws {TypeError} If the tensor is not float32.
 */
export function cpuValues(backend: unknown, tensor: tf.TensorInfo): Float32Array {
  const values = (backend as CpuBackendLike).data.get(tensor.dataId).values;
  if (!(values instanceof Float32Array)) {
    throw new TypeError(`Cannot read tensor on the cpu backend: dtype is ${tensor.dtype}: expected float32`);
  }
  return values;
}

/** Registers `values` (owned by the backend from now on) as a new float32 tensor of `shape`. */
export function cpuOutput(backend: unknown, shape: readonly number[], values: Float32Array): tf.TensorInfo {
  return (backend as CpuBackendLike).makeTensorInfo([...shape], "float32", values);
}

/** The engine's `runKernel`, typed for single-output kernels. */
export function runKernel<T extends tf.Tensor>(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown> = {},
): T {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as T;
}

/** Kernel: sums a float32 tensor over every axis but the last (the bias gradient of NDHWC and [M, C] ops). */
export const CHANNEL_SUM = "ScreenerChannelSum";

/**
 * Sums `x` over every axis but the last, accumulating in float64.
 *
 * @param x Any rank >= 1, channels last.
 * @param channels Size of the last axis.
 */
export function channelSumValues(x: Float32Array, channels: number): Float32Array {
  const acc = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) acc[c] += x[i + c];
  }
  return Float32Array.from(acc);
}

/** cpu kernel for {@linkcode CHANNEL_SUM}: input `x`, output `[C]`. */
export const channelSumKernel: tf.KernelConfig = {
  kernelName: CHANNEL_SUM,
  backendName: "cpu",
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const channels = x.shape[x.shape.length - 1];
    return cpuOutput(backend, [channels], channelSumValues(cpuValues(backend, x), channels));
  },
};

/** Sums `x` over every axis but the last: the fast kernel on cpu, `tf.sum` elsewhere. Output `[C]`. */
export function channelSum(x: tf.Tensor, fast: boolean): tf.Tensor1D {
  if (fast) return runKernel<tf.Tensor1D>(CHANNEL_SUM, { x });
  const channels = x.shape[x.shape.length - 1];
  return tf.sum(tf.reshape(x, [-1, channels]), 0);
}
