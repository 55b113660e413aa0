/**
 * Registers the cpu fast kernels and their gradients with tfjs (once per process), and switches them on or off.
 * The op kernels live under their own names ("Screener…"): ops reach them only through `fastKernelsActive()`.
 * While the fast kernels are on, a few stock cpu kernels with slow generic paths are replaced for float32 (binary
 * ops' broadcast, Transpose, Slice, Sum, Mean: `_overrides_cpu.ts`); switching off restores the stock configs.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { setStockOverrides } from "./_overrides_cpu.ts";
import { setFastKernelsEnabled } from "./_fast_state.ts";
import { addScaledCpuKernels, addScaledGradConfig } from "./ops/_add_scaled_cpu.ts";
import { channelSumKernel } from "./ops/_cpu_util.ts";
import { conv3dCpuKernels, conv3dGradConfig } from "./ops/_conv3d_cpu.ts";
import { depthwiseConv3dCpuKernels, depthwiseConv3dGradConfig } from "./ops/_depthwise_conv3d_cpu.ts";
import { geluCpuKernels, geluGradConfig } from "./ops/_gelu_cpu.ts";
import { layerNormCpuKernels, layerNormGradConfig } from "./ops/_layer_norm_cpu.ts";
import { patchCpuKernels, patchGradConfigs } from "./ops/_patch_cpu.ts";
import { pointwiseCpuKernels, pointwiseGradConfig } from "./ops/_pointwise_cpu.ts";

const KERNELS: readonly tf.KernelConfig[] = [
  channelSumKernel,
  ...conv3dCpuKernels,
  ...depthwiseConv3dCpuKernels,
  ...pointwiseCpuKernels,
  ...layerNormCpuKernels,
  ...geluCpuKernels,
  ...patchCpuKernels,
  ...addScaledCpuKernels,
];
const GRADIENTS: readonly tf.GradConfig[] = [
  conv3dGradConfig,
  depthwiseConv3dGradConfig,
  pointwiseGradConfig,
  layerNormGradConfig,
  geluGradConfig,
  ...patchGradConfigs,
  addScaledGradConfig,
];

/** Registers every fast kernel and gradient that is not registered yet. */
export function registerFastKernels(): void {
  for (const kernel of KERNELS) {
    if (tf.getKernel(kernel.kernelName, kernel.backendName) === undefined) tf.registerKernel(kernel);
  }
  for (const gradient of GRADIENTS) {
    if (tf.getGradient(gradient.kernelName) === undefined) tf.registerGradient(gradient);
  }
}

/**
 * Switches the fast path on (registering the kernels first if needed) or off. ONNX Runtime must be loaded
 * (`loadOrt()`) before fast ops run.
 */
export function enableFastKernels(on: boolean): void {
  if (on) registerFastKernels();
  setStockOverrides(on);
  setFastKernelsEnabled(on);
}
