/**
 * The nn stage: the compute layer under the models — one TensorFlow.js import point, backend choice, and
 * differentiable NDHWC ops (float32, `[N, D, H, W, C]`, where D, H, W are the k, j, i axes of a Volume) that run on
 * every tfjs backend, with fast kernels on the cpu backend (ONNX Runtime convolutions and matmuls through its
 * synchronous binding, fused JS elementwise ops).
 *
 * @example
 * ```ts ignore
 * import { conv3d, gelu, initBackend, tf } from "./mod.ts";
 * const report = await initBackend("auto"); // the caller prints report.reason
 * const y = tf.tidy(() => gelu(conv3d(x, w, b)));
 * ```
 *
 * @module
 */
export { tf } from "./tf.ts";
export {
  AUTO_ORDER,
  type BackendName,
  type BackendReport,
  BACKENDS,
  BackendUnavailableError,
  disposeBackend,
  initBackend,
  type InitBackendOptions,
  parseBackend,
  TENSORFLOW_BACKEND_ENV,
} from "./backend.ts";
export { fastKernelsActive } from "./_fast_state.ts";
export { conv3d } from "./ops/conv3d.ts";
export { depthwiseConv3d } from "./ops/depthwise_conv3d.ts";
export { pointwise } from "./ops/pointwise.ts";
export { layerNorm } from "./ops/layer_norm.ts";
export { gelu } from "./ops/gelu.ts";
export { patchDown } from "./ops/patch_down.ts";
export { patchUp } from "./ops/patch_up.ts";
export { addScaled } from "./ops/add_scaled.ts";
export { FLOP_OPS, type FlopOp, flopsOf, type OpFlops } from "./ops/flops.ts";
export { gatherRows } from "./ops/gather_rows.ts";
export { matMul2d } from "./ops/mat_mul.ts";
