/**
 * The pretraining loop (METHOD §3–4): dense VICReg on crop pairs, AdamW with a one-cycle schedule and gradient
 * clipping, a JSONL log of every step, atomic checkpoints, exact resume, and a NaN/Inf guard.
 *
 * Reproducibility: the batch of step t (crops, augmentations, masks) is drawn from `Rng(deriveSeed(seed, "batch",
 * t))`, so the data stream's "RNG state" is just (seed, step) and a resumed run draws the same batches as an
 * uninterrupted one. Initial weights come from `deriveSeed(seed, "init")`.
 *
 * @module
 */
import { join } from "node:path";
import { deriveSeed, Rng } from "../data/rng.ts";
import { writeRunRecord } from "../io/mod.ts";
import { DenseModel, downsamplingFactor, modelConfig } from "../models/mod.ts";
import { type BackendReport, gatherRows, initBackend, tf } from "../nn/mod.ts";
import {
  AdamW,
  type Checkpoint,
  guardedUpdate,
  loadCheckpoint,
  oneCycleLr,
  openRunCheckpoint,
  RUN_FILES,
  runStepLoop,
  saveCheckpoint,
} from "../train/mod.ts";

export { TrainingDivergedError } from "../train/mod.ts";
import { batchTensors } from "./_batch_tensors.ts";
import { sampleBatch } from "./batch.ts";
import { listScans } from "./dataset.ts";
import { Projector } from "./projector.ts";
import { type PretrainConfig, trainingBatchOptions } from "./pretrain_config.ts";
import { ScanCache } from "./training_scan.ts";
import { vicregLoss } from "./vicreg.ts";

/** One logged step (a line of `log.jsonl`). */
export interface PretrainStep {
  /** 1-based step number (the number of updates applied). */
  step: number;
  /** Weighted VICReg total. */
  loss: number;
  /** Unweighted invariance term. */
  invariance: number;
  /** Unweighted variance term (mean of the two views). */
  variance: number;
  /** Unweighted covariance term (sum of the two views). */
  covariance: number;
  /** Learning rate used for this step. */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Positive pairs in the batch. */
  pairs: number;
  /** Smallest per-dimension std of the (unprojected) descriptors over the batch's paired voxels: collapse → 0. */
  embeddingStdMin: number;
  /** Mean per-dimension std of the descriptors over the paired voxels. */
  embeddingStdMean: number;
  /** Seconds this step took. */
  seconds: number;
}

/** Options for {@linkcode pretrain}. */
export interface PretrainOptions {
  /** Run folder for `config.json`, `log.jsonl`, `checkpoint.bin`; omit for an in-memory run. */
  out?: string;
  /** Continue the run in `out` from its checkpoint (the saved config is used; `steps` may be raised). @default {false} */
  resume?: boolean;
  /** Called after every step (a task draws a progress bar, a notebook prints). */
  onStep?: (record: PretrainStep, totalSteps: number) => void;
  /** Stop (with a checkpoint) after this step, as an interruption would; for tests and time-boxed runs. */
  stopAfterStep?: number;
  /** For tests of the guard: treat the loss of this 1-based step as NaN. */
  injectNanAtStep?: number;
  /**
   * A fixed batch (e.g. drawn once with its own seed) on which the loss is measured before training, at every
   * checkpoint interval and at the end, without updating: a noise-free view of the trend.
   */
  monitorBatch?: ReturnType<typeof sampleBatch>;
}

/** Loss on the monitor batch after `step` updates. */
export interface MonitorRecord {
  step: number;
  total: number;
  /** `[invariance, variance, covariance]`, unweighted. */
  parts: number[];
}

/** What {@linkcode pretrain} returns: the trained network (caller disposes) and the run's facts. */
export interface PretrainResult {
  config: PretrainConfig;
  model: DenseModel;
  projector: Projector;
  backend: BackendReport;
  /** Steps completed (== config.steps unless stopped early). */
  step: number;
  /** Records of the steps run in this call. */
  history: PretrainStep[];
  /** Monitor-batch losses (empty without `monitorBatch`). */
  monitor: MonitorRecord[];
  /** Frees the model, projector and optimizer state. */
  dispose(): void;
}

/** File names inside a run folder (the layout shared with density fitting, from src/train). */
export { RUN_FILES } from "../train/mod.ts";

interface CheckpointMeta {
  step: number;
  config: PretrainConfig;
  rng: { seed: number; scheme: string };
  optimizerStep: number;
  names: string[];
}

/**
 * Trains a descriptor or condition model with dense VICReg.
 *
 * @param config A validated config (see `pretrainConfig`).
 * @param options See {@linkcode PretrainOptions}.
 * @throws {TrainingDivergedError} If the loss becomes NaN or infinite.
 * @throws {RangeError} If `out` already holds a run and `resume` is false, or the crop does not fit the network.
 * @example Train a tiny descriptor for 20 steps in a notebook
 * ```ts ignore
 * const run = await pretrain(pretrainConfig({ model: "descriptor", size: "tiny", data: "data/phantoms", steps: 20 }));
 * const features = run.model.apply(views); // [N, D, H, W, 32]
 * ```
 */
export async function pretrain(config: PretrainConfig, options: PretrainOptions = {}): Promise<PretrainResult> {
  const { out, resume = false, onStep, stopAfterStep, injectNanAtStep, monitorBatch } = options;
  let checkpoint: Checkpoint<CheckpointMeta> | null = null;
  if (out) {
    checkpoint = await openRunCheckpoint<CheckpointMeta>(out, resume);
    if (checkpoint) {
      const saved = savedConfig(checkpoint.meta.config);
      config = { ...saved, steps: Math.max(config.steps, saved.steps) };
    }
  }
  const factor = downsamplingFactor(modelConfig(config.size, config.model));
  if (config.cropVox.some((n) => n % factor !== 0)) {
    throw new RangeError(
      `Cannot train on crops ${
        config.cropVox.join("×")
      }: each side must be divisible by ${factor} for "${config.size}"`,
    );
  }
  const backend = await initBackend(config.backend);
  if (out) await writeRunRecord(out, { task: "train", config, backend: backend.name });

  const paths = await listScans(config.data);
  const cache = new ScanCache({
    maxScans: config.maxCachedScans,
    spacingMm: config.preprocessSpacingMm,
    clahe: config.clahe,
  });
  const model = new DenseModel(config.model, config.size, new Rng(deriveSeed(config.seed, "init", "model")));
  const projector = new Projector(
    model.unet.config.outChannels,
    config.projectorDim,
    new Rng(deriveSeed(config.seed, "init", "projector")),
  );
  const variables = [...model.variables, ...projector.variables];
  const names = [...model.names.map((n) => `model/${n}`), ...projector.names.map((n) => `projector/${n}`)];
  const optimizer = new AdamW(variables, {
    eps: config.eps,
    weightDecay: config.weightDecay,
    clipNorm: config.clipNorm,
  });
  const dispose = () => {
    model.dispose();
    projector.dispose();
    optimizer.dispose();
  };
  const startStep = checkpoint ? checkpoint.meta.step : 0;
  if (checkpoint) restore(checkpoint, model, projector, optimizer, names);
  const monitor: MonitorRecord[] = [];
  let loop;
  try {
    loop = await runStepLoop<PretrainStep>({
      startStep,
      totalSteps: config.steps,
      stopAfterStep,
      checkpointEvery: config.checkpointEvery,
      out,
      onStep,
      checkpoint: async (step) => {
        if (!out) return;
        await saveCheckpoint(
          join(out, RUN_FILES.checkpoint),
          await snapshot(config, step, model, projector, optimizer, names),
        );
      },
      measure: async (step) => {
        if (monitorBatch) monitor.push({ step, ...(await vicregOnBatch(model, projector, monitorBatch)) });
      },
      runStep: async (step, lastCheckpointStep) => {
        const batchRng = new Rng(deriveSeed(config.seed, "batch", step));
        const chosen = chooseScans(paths.length, Math.min(config.batchSize, paths.length), batchRng);
        const scans = [];
        for (const i of chosen) scans.push(await cache.get(paths[i]));
        const batch = sampleBatch(scans, batchRng, trainingBatchOptions(config));
        const lr = oneCycleLr(step, config.steps, { peakLr: config.peakLr, warmupFraction: config.warmupFraction });
        const stats = await lossAndGradients(model, projector, batch, variables);
        if (injectNanAtStep === step + 1) stats.parts[0] = stats.total = NaN;
        const [invariance, variance, covariance] = stats.parts;
        const gradNorm = await guardedUpdate(
          optimizer,
          stats.grads,
          lr,
          { loss: stats.total, invariance, variance, covariance },
          step,
          lastCheckpointStep,
        );
        return {
          step: step + 1,
          loss: stats.total,
          invariance,
          variance,
          covariance,
          lr,
          gradNorm,
          pairs: batch.pairCount,
          embeddingStdMin: stats.stdMin,
          embeddingStdMean: stats.stdMean,
        };
      },
    });
  } catch (e) {
    dispose();
    throw e;
  }
  const { step, history } = loop;
  return { config, model, projector, backend, step, history, monitor, dispose };
}

/**
 * VICReg loss of a model + projector on one batch, forward only (no update): for monitoring on a fixed held-out
 * batch, where the step-to-step noise of fresh training batches would hide the trend.
 *
 * @returns Weighted total and unweighted parts `[invariance, variance, covariance]`.
 */
export async function vicregOnBatch(
  model: DenseModel,
  projector: Projector,
  batch: ReturnType<typeof sampleBatch>,
): Promise<{ total: number; parts: number[] }> {
  const parts = tf.tidy(() => {
    const { x, m, idxA, idxB } = batchTensors(model, batch);
    const flat = tf.reshape(model.apply(x, m), [-1, model.unet.config.outChannels]) as tf.Tensor2D;
    const loss = vicregLoss(projector.apply(gatherRows(flat, idxA)), projector.apply(gatherRows(flat, idxB)));
    return tf.concat([tf.reshape(loss.total, [1]), loss.parts]);
  });
  const values = Array.from(await parts.data());
  parts.dispose();
  return { total: values[0], parts: values.slice(1) };
}

/** Draws `count` distinct indices in [0, n). */
function chooseScans(n: number, count: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(0, n - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count).sort((a, b) => a - b);
}

/** Loss values and gradients of one step (see {@linkcode lossAndGradients}). */
export interface StepStats {
  total: number;
  parts: number[];
  stdMin: number;
  stdMean: number;
  /** Gradients aligned with the variables; kept outside any tidy, the caller frees them. */
  grads: tf.Tensor[];
}

/**
 * Forward + backward of one batch: both views go through the network as one batch of 2B crops; the paired voxels'
 * descriptors are gathered, projected and scored by VICReg. Loss values are read back synchronously; the gradients
 * (aligned with `variables`) are returned outside any tidy, for the caller to apply and dispose.
 */
export async function lossAndGradients(
  model: DenseModel,
  projector: Projector,
  batch: ReturnType<typeof sampleBatch>,
  variables: tf.Variable[],
): Promise<StepStats> {
  const stats: StepStats = { total: NaN, parts: [], stdMin: NaN, stdMean: NaN, grads: [] };
  let summary!: tf.Tensor1D;
  stats.grads = tf.tidy(() => {
    const { x, m, idxA, idxB } = batchTensors(model, batch);
    let parts!: tf.Tensor1D;
    let std!: tf.Tensor1D;
    const { value, grads } = tf.variableGrads(() => {
      const features = model.apply(x, m);
      const flat = tf.reshape(features, [-1, features.shape[4]]) as tf.Tensor2D;
      const ya = gatherRows(flat, idxA);
      const yb = gatherRows(flat, idxB);
      // Collapse monitor: per-dimension std of the descriptors themselves (not the projections).
      std = tf.keep(tf.sqrt(tf.moments(tf.concat([ya, yb], 0), 0).variance) as tf.Tensor1D);
      const loss = vicregLoss(projector.apply(ya), projector.apply(yb));
      parts = tf.keep(loss.parts);
      return loss.total;
    }, variables);
    // [total, invariance, variance, covariance, std…], read back once, asynchronously (GPU backends).
    summary = tf.keep(tf.concat([tf.reshape(value, [1]), parts, std]) as tf.Tensor1D);
    return variables.map((vr) => grads[vr.name]);
  });
  const values = Array.from(await summary.data());
  summary.dispose();
  stats.total = values[0];
  stats.parts = values.slice(1, 4);
  const stdValues = values.slice(4);
  stats.stdMin = Math.min(...stdValues);
  stats.stdMean = stdValues.reduce((a, c) => a + c, 0) / stdValues.length;
  return stats;
}

async function snapshot(
  config: PretrainConfig,
  step: number,
  model: DenseModel,
  projector: Projector,
  optimizer: AdamW,
  names: string[],
): Promise<Checkpoint<CheckpointMeta>> {
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [n, t] of await model.getWeights()) tensors.set(`model/${n}`, t);
  for (const [n, t] of await projector.getWeights()) tensors.set(`projector/${n}`, t);
  const state = await optimizer.getState();
  state.m.forEach((x, i) => tensors.set(`adam/m/${names[i]}`, { shape: [x.length], values: x }));
  state.v.forEach((x, i) => tensors.set(`adam/v/${names[i]}`, { shape: [x.length], values: x }));
  return {
    meta: {
      step,
      config,
      rng: { seed: config.seed, scheme: 'batch of step t drawn from Rng(deriveSeed(seed, "batch", t))' },
      optimizerStep: state.step,
      names,
    },
    tensors,
  };
}

function restore(
  ckpt: Checkpoint<CheckpointMeta>,
  model: DenseModel,
  projector: Projector,
  optimizer: AdamW,
  names: string[],
): void {
  const pick = (prefix: string) => {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [n, t] of ckpt.tensors) if (n.startsWith(prefix)) out.set(n.slice(prefix.length), t);
    return out;
  };
  model.setWeights(pick("model/"));
  projector.setWeights(pick("projector/"));
  const get = (n: string) => {
    const t = ckpt.tensors.get(n);
    if (!t) throw new RangeError(`Cannot resume: checkpoint has no optimizer state "${n}"`);
    return t.values;
  };
  optimizer.setState({
    step: ckpt.meta.optimizerStep,
    m: names.map((n) => get(`adam/m/${n}`)),
    v: names.map((n) => get(`adam/v/${n}`)),
  });
}

/**
 * Loads a trained network from a pretraining run folder (its `checkpoint.bin`), frozen for feature extraction.
 *
 * @param runDir A folder written by {@linkcode pretrain} (or `deno task train`).
 * @returns The model (caller disposes) and the run's config.
 * @throws {CheckpointError} If the checkpoint is missing or unreadable.
 */
export async function loadPretrained(runDir: string): Promise<{ model: DenseModel; config: PretrainConfig }> {
  const ckpt = await loadCheckpoint<CheckpointMeta>(join(runDir, RUN_FILES.checkpoint));
  const config = savedConfig(ckpt.meta.config);
  const model = new DenseModel(config.model, config.size, new Rng(0));
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [n, t] of ckpt.tensors) if (n.startsWith("model/")) weights.set(n.slice("model/".length), t);
  model.setWeights(weights);
  return { model, config };
}

/** A checkpoint's config with the fields added since older runs were saved filled with their old behaviour. */
function savedConfig(config: PretrainConfig): PretrainConfig {
  return {
    ...config,
    clahe: config.clahe ?? null,
    augmentStrength: config.augmentStrength ?? 1,
    maskRatio: config.maskRatio ?? 0.6,
  };
}
