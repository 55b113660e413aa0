/**
 * The `step` benchmark suite: seconds of one pretraining forward + backward pass (VICReg loss and its gradients, no
 * optimizer update) for any network size and batch, on each chosen backend, and optionally where the time goes — the
 * kernels tfjs ran, with their count and summed kernel time (`tf.profile`; its entries include scopes such as
 * `forward` of a custom gradient, which contain kernels listed too). It is how the README's "WebGPU on a real
 * GPU" rows were measured; `train` is the fixed-size suite with a PyTorch reference.
 *
 * @module
 */
import { Rng } from "../src/data/mod.ts";
import { DenseModel, type ModelConfigName } from "../src/models/mod.ts";
import { disposeBackend, initBackend, tf } from "../src/nn/mod.ts";
import { lossAndGradients, Projector, sampleBatch } from "../src/ssl/mod.ts";
import { benchTrainingScan, median } from "./_bench_util.ts";
import { SETTINGS, type TrainBackend } from "./_bench_train.ts";

/** Options of the step suite. */
export interface BenchStepOptions {
  /** Backends to time, in order ("cpu+fast": cpu with the fast kernels). */
  backends: readonly TrainBackend[];
  /** Network size. */
  size: ModelConfigName;
  /** Crop pairs per step. */
  batchSize: number;
  /** Crop edge in voxels (cubic crops). */
  crop: number;
  /** Timed passes after one warm-up. */
  repeats: number;
  /** Also profile one pass per backend: kernels by summed kernel time. */
  profile: boolean;
}

/** Runs the step suite. */
export async function benchStep(options: BenchStepOptions): Promise<Record<string, unknown>> {
  const { backends, size, batchSize, crop, repeats, profile } = options;
  const batch = sampleBatch([benchTrainingScan()], new Rng(1), {
    batchSize,
    cropVox: [crop, crop, crop],
    maxPairs: 256,
  });
  const results: Record<string, unknown>[] = [];
  for (const b of backends) {
    const { backend, fastKernels } = SETTINGS[b];
    const report = await initBackend(backend, { fastKernels, softwareWebgpu: true });
    const model = new DenseModel("descriptor", size, new Rng(0));
    const projector = new Projector(model.unet.config.outChannels, 256, new Rng(1));
    const vars = [...model.variables, ...projector.variables];
    const pass = async () => {
      const st = await lossAndGradients(model, projector, batch, vars);
      await st.grads[0].data(); // waits for the GPU
      st.grads.forEach((g) => g.dispose());
    };
    await pass();
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await pass();
      times.push((performance.now() - t0) / 1000);
    }
    const row: Record<string, unknown> = { backend: b, reason: report.reason, seconds: times, median: median(times) };
    console.error(
      `bench step: ${b} ${size}, ${batchSize} crop pairs of ${crop}³: median ${median(times).toFixed(3)} s`,
    );
    if (profile) {
      const info = await tf.profile(pass);
      const byKernel = new Map<string, { count: number; kernelMs: number }>();
      for (const k of info.kernels) {
        const a = byKernel.get(k.name) ?? { count: 0, kernelMs: 0 };
        a.count++;
        a.kernelMs += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : NaN;
        byKernel.set(k.name, a);
      }
      row.kernels = info.kernels.length;
      row.by_kernel = Object.fromEntries([...byKernel.entries()].sort((x, y) => y[1].kernelMs - x[1].kernelMs));
    }
    results.push(row);
    model.dispose();
    projector.dispose();
    tf.disposeVariables();
  }
  disposeBackend();
  return { size, batch: `${batchSize} crop pairs of ${crop}³, ${batch.pairCount} positive pairs`, results };
}
