/**
 * Work-arounds for tfjs-backend-webgpu 4.22 on large tensors. Its rank-2 transpose (`TransposeSharedProgram`, 16×16
 * tiles, one tile row per workgroup in y) dispatches ⌈rows / 16⌉ workgroups in y, and WebGPU allows at most
 * `maxComputeWorkgroupsPerDimension` (65,535) there, so a rank-2 transpose — and every reduction over axis 0 of a
 * rank-2 tensor, which transposes first — fails with "Dispatch size exceeds WebGPU limits in Y or Z dimension" from
 * 1,048,561 rows on. Training meets it in the gradient of every channel broadcast (bias, LayerNorm γ/β, layer scale),
 * a sum over axis 0 of [voxels, channels]: 2 crop pairs of 64³ are 1,048,576 voxels (measured on an NVIDIA H200 and
 * on lavapipe). {@linkcode installWebgpuWorkarounds} wraps the webgpu Transpose, Sum, Mean, Max and Min kernels so that
 * such a tensor [R, C] is viewed as [R, C, 1], whose transposes take the generic program (flat dispatch, spread over
 * x, y and z); smaller tensors take the stock kernels unchanged.
 *
 * @module
 */
import { tf } from "./tf.ts";

/** Kernels whose rank-2, axis-0 case is rerouted, besides Transpose. */
const REDUCTIONS = ["Sum", "Mean", "Max", "Min"] as const;

/** The slice of tfjs's WebGPU backend used here. */
interface WebgpuBackendLike {
  device: { limits: { maxComputeWorkgroupsPerDimension: number } };
  disposeData(dataId: object, force?: boolean): boolean;
}

const installed = new Set<string>();

/** The row count from which tfjs-webgpu's rank-2 transpose exceeds the device's dispatch limit. */
export function sharedTransposeRowLimit(backend: WebgpuBackendLike): number {
  return backend.device.limits.maxComputeWorkgroupsPerDimension * 16;
}

function reshape(x: tf.TensorInfo, shape: number[], backend: object): tf.TensorInfo {
  return tf.getKernel("Reshape", "webgpu")!.kernelFunc({ inputs: { x }, attrs: { shape }, backend }) as tf.TensorInfo;
}

function normalisedAxes(axis: number | number[] | undefined, rank: number): number[] {
  const list = axis === undefined ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort();
}

/**
 * Wraps the webgpu Transpose, Sum, Mean, Max and Min kernels so that rank-2 tensors with more than
 * {@linkcode sharedTransposeRowLimit} rows or columns are transposed by the generic program (see the module doc).
 * Idempotent; call after `tf.setBackend("webgpu")`.
 */
export function installWebgpuWorkarounds(): void {
  const backend = tf.findBackend("webgpu") as unknown as WebgpuBackendLike | null;
  if (backend === null) return;
  const limit = sharedTransposeRowLimit(backend);
  const big = (x: tf.TensorInfo) => x.shape.length === 2 && Math.max(x.shape[0], x.shape[1]) > limit;

  if (!installed.has("Transpose")) {
    const stock = tf.getKernel("Transpose", "webgpu");
    if (stock !== undefined) {
      tf.unregisterKernel("Transpose", "webgpu");
      tf.registerKernel({
        ...stock,
        kernelFunc: (args) => {
          const x = args.inputs.x as tf.TensorInfo;
          const perm = (args.attrs as { perm: number[] }).perm;
          if (!big(x) || perm[0] !== 1) return stock.kernelFunc(args);
          const x3 = reshape(x, [x.shape[0], x.shape[1], 1], args.backend);
          const t3 = stock.kernelFunc({ ...args, inputs: { x: x3 }, attrs: { perm: [1, 0, 2] } }) as tf.TensorInfo;
          const out = reshape(t3, [x.shape[1], x.shape[0]], args.backend);
          backend.disposeData(x3.dataId);
          backend.disposeData(t3.dataId);
          return out;
        },
      });
      installed.add("Transpose");
    }
  }
  for (const name of REDUCTIONS) {
    if (installed.has(name)) continue;
    const stock = tf.getKernel(name, "webgpu");
    if (stock === undefined) continue;
    tf.unregisterKernel(name, "webgpu");
    tf.registerKernel({
      ...stock,
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        // Max names its axes `reductionIndices`, the others `axis`.
        const key = name === "Max" ? "reductionIndices" : "axis";
        const attrs = (args.attrs ?? {}) as tf.NamedAttrMap;
        const axis = attrs[key] as number | number[] | undefined;
        if (!big(x) || normalisedAxes(axis, 2).join() !== "0") return stock.kernelFunc(args);
        const x3 = reshape(x, [x.shape[0], x.shape[1], 1], args.backend);
        const r = stock.kernelFunc({
          ...args,
          inputs: { x: x3 },
          attrs: { ...attrs, [key]: [0], keepDims: false },
        }) as tf.TensorInfo;
        const out = reshape(r, attrs.keepDims === true ? [1, x.shape[1]] : [x.shape[1]], args.backend);
        backend.disposeData(x3.dataId);
        backend.disposeData(r.dataId);
        return out;
      },
    });
    installed.add(name);
  }
}
