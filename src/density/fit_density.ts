/**
 * The density-fitting loop (METHOD §5): maximum likelihood on (y, c) rows with training noise, AdamW with a one-cycle
 * schedule and clipping, a JSONL log, atomic checkpoints, exact resume and a NaN guard — the conventions of
 * `pretrain` — or, for `gaussian-uncond`, one streaming pass of float64 moments.
 *
 * Reproducibility: the batch of step t comes from `sampler(t, Rng(deriveSeed(seed, "batch", t)), batchSize)` and its
 * noise from `Rng(deriveSeed(seed, "noise", t))`, so the data stream's state is just (seed, step) and a resumed run
 * sees the same batches as an uninterrupted one (provided the sampler is a function of its step and generator).
 *
 * @module
 */
import { join } from "node:path";
import { deriveSeed, Rng } from "../data/rng.ts";
import { writeRunRecord } from "../io/mod.ts";
import { tf } from "../nn/mod.ts";
import {
  AdamW,
  type Checkpoint,
  guardedUpdate,
  oneCycleLr,
  openRunCheckpoint,
  RUN_FILES,
  runStepLoop,
  saveCheckpoint,
  TrainingDivergedError,
} from "../train/mod.ts";
import type { DensityBatch, DensityModel, DensitySpec } from "./density_model.ts";
import { type DensityFitConfig, densityFitConfig } from "./fit_config.ts";
import { GaussianMoments, type GaussianMomentsState } from "./gaussian_moments.ts";
import { GaussianUncondDensity } from "./gaussian_uncond.ts";
import { checkBatchSizes } from "./_layers.ts";
import { DENSITY_FORMAT, densityCheckpoint, type DensityFileMeta, densityWeights } from "./save_density.ts";

/**
 * Supplies the batch of a step. It must draw all its randomness from `rng` (seeded from the run's seed and `step`),
 * so that a resumed run sees the same data.
 *
 * @param step Zero-based step index.
 * @param rng This step's generator.
 * @param batchSize Rows asked for (`config.batchSize`).
 */
export type DensitySampler = (step: number, rng: Rng, batchSize: number) => DensityBatch;

/** One logged step (a line of `log.jsonl`). */
export interface DensityStep {
  /** 1-based step number (updates applied, or batches streamed). */
  step: number;
  /** Mean negative log-likelihood per dimension of this (noisy) batch before the update, nats; null for `gaussian-uncond`. */
  loss: number | null;
  /** Learning rate of this step; null for `gaussian-uncond`. */
  lr: number | null;
  /** Global gradient norm before clipping; null for `gaussian-uncond`. */
  gradNorm: number | null;
  /** Rows in the batch. */
  rows: number;
  /** Seconds this step took (sampler included). */
  seconds: number;
}

/** Mean NLL per dimension (no noise) on the monitor batch after `step` steps. */
export interface DensityMonitorRecord {
  step: number;
  /** Nats per dimension; negative values are normal for concentrated densities. */
  nll: number;
}

/** Options for {@linkcode fitDensity}. */
export interface DensityFitOptions {
  /** Run folder for `config.json`, `log.jsonl`, `checkpoint.bin`; omit for an in-memory run. */
  out?: string;
  /**
   * Continue the run in `out` from its checkpoint: the saved config is used (`steps` may be raised) and the model
   * must have the saved architecture. @default {false}
   */
  resume?: boolean;
  /** Called after every step (a task draws a progress bar, a notebook prints). */
  onStep?: (record: DensityStep, totalSteps: number) => void;
  /** Stop (with a checkpoint) after this step, as an interruption would; for tests and time-boxed runs. */
  stopAfterStep?: number;
  /** For tests of the guard: treat the loss (or, for `gaussian-uncond`, the batch moments) of this 1-based step as NaN. */
  injectNanAtStep?: number;
  /** A fixed held-out batch scored (no noise, no update) before training, at every checkpoint and at the end. */
  monitorBatch?: DensityBatch;
}

/** What {@linkcode fitDensity} returns; the model passed in now holds the fitted weights. */
export interface DensityFitResult {
  config: DensityFitConfig;
  /** Steps completed (== config.steps unless stopped early). */
  step: number;
  /** Records of the steps run in this call. */
  history: DensityStep[];
  /** Monitor-batch NLLs (empty without `monitorBatch`). */
  monitor: DensityMonitorRecord[];
}

/** File names inside a density run folder: the run-folder layout of src/train. */
export const DENSITY_RUN_FILES = RUN_FILES;

/** Meta of a fitDensity checkpoint: a density file's meta plus the training state. */
interface FitCheckpointMeta extends DensityFileMeta {
  config: DensityFitConfig;
  rng: { seed: number; scheme: string };
  optimizerStep: number;
  names: string[];
  /** `gaussian-uncond`: the streamed moments so far (float64 in JSON). */
  moments: GaussianMomentsState | null;
}

/**
 * Fits a density model to rows drawn by `sampler`: `flow` and `gaussian` by AdamW on the mean NLL per dimension of
 * y + N(0, noiseStd²) given c (METHOD §5), after {@linkcode DensityModel.initFromData} on the first (noisy) batch;
 * `gaussian-uncond` by streaming `steps` batches into float64 moments (no optimiser) and setting the shrunk Gaussian
 * with the noise's σ² on the diagonal, at every checkpoint and at the end.
 *
 * The active tfjs backend is used as it is (initialise it before building the model); it is recorded in
 * `config.json`. A NaN or infinite loss stops the run before the update is applied. A run always starts at step 0
 * (re-measuring the standardisation) unless it resumes from `out`: continue a run with `resume`, not by calling
 * this again on a fitted model.
 *
 * @param model The model to fit (weights updated in place; the caller still owns and disposes it).
 * @param sampler Supplies each step's rows.
 * @param config The fit config (see {@linkcode densityFitConfig}).
 * @param options See {@linkcode DensityFitOptions}.
 * @returns The config used, the steps done and their records.
 * @throws {TrainingDivergedError} If the loss becomes NaN or infinite; the last good checkpoint stays in place.
 * @throws {RangeError} If `out` already holds a run and `resume` is false, the saved architecture differs from
 *   `model`'s, or a batch has the wrong size or a non-finite value (the message names the step and row).
 * @example Fit the default flow on a feature sampler
 * ```ts ignore
 * await initBackend("cpu");
 * const flow = createDensityModel({ kind: "flow", dy: 32, dc: 32 });
 * await fitDensity(flow, sampler, densityFitConfig({ steps: 2000 }), { out: "runs/density", onStep: bar });
 * ```
 */
export async function fitDensity(
  model: DensityModel,
  sampler: DensitySampler,
  config: DensityFitConfig,
  options: DensityFitOptions = {},
): Promise<DensityFitResult> {
  const { out, resume = false, onStep, stopAfterStep, injectNanAtStep, monitorBatch } = options;
  config = densityFitConfig(config);
  const spec = model.toJSON();
  let checkpoint: Checkpoint<FitCheckpointMeta> | null = null;
  if (out) {
    checkpoint = await openRunCheckpoint<FitCheckpointMeta>(out, resume);
    if (checkpoint) {
      if (JSON.stringify(checkpoint.meta.model) !== JSON.stringify(spec)) {
        throw new RangeError(
          `Cannot resume run "${out}": its model is ${JSON.stringify(checkpoint.meta.model)}: expected ${
            JSON.stringify(spec)
          }`,
        );
      }
      config = { ...checkpoint.meta.config, steps: Math.max(config.steps, checkpoint.meta.config.steps) };
    }
    await writeRunRecord(out, { task: "density", config: { ...config, model: spec }, backend: tf.getBackend() });
  }

  const uncond = model instanceof GaussianUncondDensity ? model : null;
  const moments = uncond
    ? (checkpoint?.meta.moments ? GaussianMoments.fromJSON(checkpoint.meta.moments) : new GaussianMoments(model.dy))
    : null;
  const optimizer = uncond ? null : makeOptimizer(model, config);
  const startStep = checkpoint ? checkpoint.meta.step : 0;
  if (checkpoint) restore(checkpoint, model, optimizer);
  const monitor: DensityMonitorRecord[] = [];
  let loop;
  try {
    loop = await runStepLoop<DensityStep>({
      startStep,
      totalSteps: config.steps,
      stopAfterStep,
      checkpointEvery: config.checkpointEvery,
      out,
      onStep,
      checkpoint: async (step) => {
        if (moments && moments.count > 0) uncond!.fitMoments(moments, config.noiseStd);
        if (!out) return;
        await saveCheckpoint(
          join(out, DENSITY_RUN_FILES.checkpoint),
          await snapshot(model, config, step, optimizer, moments),
        );
      },
      measure: async (step) => {
        if (monitorBatch) monitor.push({ step, nll: await meanNll(model, monitorBatch, "monitor batch") });
      },
      runStep: async (step, lastCheckpointStep) => {
        const batch = sampler(step, new Rng(deriveSeed(config.seed, "batch", step)), config.batchSize);
        checkBatch(model, batch, `batch of step ${step + 1}`);
        if (moments) {
          if (injectNanAtStep === step + 1) {
            throw new TrainingDivergedError(step + 1, "moments are NaN", lastCheckpointStep);
          }
          moments.add(batch.y, batch.count);
          return { step: step + 1, loss: null, lr: null, gradNorm: null, rows: batch.count };
        }
        const y = noisy(batch.y, config.noiseStd, new Rng(deriveSeed(config.seed, "noise", step)));
        if (step === 0) model.initFromData({ ...batch, y });
        const lr = oneCycleLr(step, config.steps, { peakLr: config.peakLr, warmupFraction: config.warmupFraction });
        const stats = await lossAndGradients(model, y, batch);
        if (injectNanAtStep === step + 1) stats.loss = NaN;
        const gradNorm = await guardedUpdate(
          optimizer!,
          stats.grads,
          lr,
          { loss: stats.loss },
          step,
          lastCheckpointStep,
        );
        return { step: step + 1, loss: stats.loss, lr, gradNorm, rows: batch.count };
      },
    });
  } finally {
    optimizer?.dispose();
  }
  const { step, history } = loop;
  return { config, step, history, monitor };
}

/**
 * AdamW over the model's variables. Built inside a tidy: AdamW's constructor leaves the `zerosLike` tensors its moment
 * variables start from, which the tidy frees (never the variables).
 */
function makeOptimizer(model: DensityModel, config: DensityFitConfig): AdamW {
  let optimizer!: AdamW;
  tf.tidy(() => {
    optimizer = new AdamW(model.variables, {
      eps: config.eps,
      weightDecay: config.weightDecay,
      clipNorm: config.clipNorm,
    });
  });
  return optimizer;
}

/** Mean NLL per dimension of `batch` under `model` (no noise), nats. */
async function meanNll(model: DensityModel, batch: DensityBatch, where: string): Promise<number> {
  checkBatch(model, batch, where);
  const mean = tf.tidy(() =>
    tf.mean(model.logProb(tf.tensor2d(batch.y, [batch.count, model.dy]), conditionTensor(model, batch)))
  );
  const value = (await mean.data())[0];
  mean.dispose();
  return -value / model.dy;
}

/** c as a tensor, or null for unconditional models (inside the caller's tidy). */
function conditionTensor(model: DensityModel, batch: DensityBatch): tf.Tensor2D | null {
  return model.dc > 0 ? tf.tensor2d(batch.c!, [batch.count, model.dc]) : null;
}

/**
 * Checks a batch's sizes and values.
 *
 * @throws {RangeError} Naming `where` and the first offending row.
 */
function checkBatch(model: DensityModel, batch: DensityBatch, where: string): void {
  checkBatchSizes(`fit density on ${where}`, model.dy, model.dc, batch);
  const checkFinite = (values: Float32Array, width: number, name: string) => {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new RangeError(
          `Cannot fit density on ${where}: ${name} row ${Math.floor(i / width)} column ${i % width} is ${
            values[i]
          }: expected finite values`,
        );
      }
    }
  };
  checkFinite(batch.y, model.dy, "y");
  if (model.dc > 0) checkFinite(batch.c!, model.dc, "c");
}

/** y + N(0, std²) per value, drawn from `rng` (a copy; y is not modified). */
function noisy(y: Float32Array, std: number, rng: Rng): Float32Array {
  const out = Float32Array.from(y);
  if (std > 0) { for (let i = 0; i < out.length; i++) out[i] += rng.normal(0, std); }
  return out;
}

interface StepStats {
  loss: number;
  /** Gradients aligned with the variables; kept outside any tidy, the caller frees them. */
  grads: tf.Tensor[];
}

/** Forward + backward of the mean NLL per dimension; the loss is read back asynchronously (GPU backends). */
async function lossAndGradients(model: DensityModel, y: Float32Array, batch: DensityBatch): Promise<StepStats> {
  const stats: StepStats = { loss: NaN, grads: [] };
  const variables = model.variables;
  let loss!: tf.Scalar;
  stats.grads = tf.tidy(() => {
    const yt = tf.tensor2d(y, [batch.count, model.dy]);
    const ct = conditionTensor(model, batch);
    const { value, grads } = tf.variableGrads(
      () => tf.div(tf.neg(tf.mean(model.logProb(yt, ct))), model.dy) as tf.Scalar,
      variables,
    );
    loss = tf.keep(value);
    return variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
  });
  stats.loss = (await loss.data())[0];
  loss.dispose();
  return stats;
}

async function snapshot(
  model: DensityModel,
  config: DensityFitConfig,
  step: number,
  optimizer: AdamW | null,
  moments: GaussianMoments | null,
): Promise<Checkpoint<FitCheckpointMeta>> {
  const extra = new Map<string, { shape: number[]; values: Float32Array }>();
  const names = model.names;
  let optimizerStep = 0;
  if (optimizer) {
    const state = await optimizer.getState();
    optimizerStep = state.step;
    state.m.forEach((x, i) => extra.set(`adam/m/${names[i]}`, { shape: [x.length], values: x }));
    state.v.forEach((x, i) => extra.set(`adam/v/${names[i]}`, { shape: [x.length], values: x }));
  }
  const meta: FitCheckpointMeta = {
    format: DENSITY_FORMAT,
    model: model.toJSON() as DensitySpec,
    config,
    step,
    rng: {
      seed: config.seed,
      scheme:
        'batch of step t from Rng(deriveSeed(seed, "batch", t)), its noise from Rng(deriveSeed(seed, "noise", t))',
    },
    optimizerStep,
    names,
    moments: moments ? moments.toJSON() : null,
  };
  return await densityCheckpoint(model, meta, extra);
}

function restore(ckpt: Checkpoint<FitCheckpointMeta>, model: DensityModel, optimizer: AdamW | null): void {
  model.setWeights(densityWeights(ckpt));
  if (!optimizer) return;
  const get = (n: string) => {
    const t = ckpt.tensors.get(n);
    if (!t) throw new RangeError(`Cannot resume: checkpoint has no optimizer state "${n}"`);
    return t.values;
  };
  optimizer.setState({
    step: ckpt.meta.optimizerStep,
    m: model.names.map((n) => get(`adam/m/${n}`)),
    v: model.names.map((n) => get(`adam/v/${n}`)),
  });
}
