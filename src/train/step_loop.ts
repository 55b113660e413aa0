/**
 * The step loop shared by pretraining (src/ssl) and density fitting (src/density): run steps, time them, append each
 * record to the run's JSONL log, report progress, and write a checkpoint (then measure a monitor batch) every
 * `checkpointEvery` steps and at the last one. What a step does, and what a checkpoint holds, stay with the caller.
 *
 * @module
 */
import { join } from "node:path";
import type { tf } from "../nn/mod.ts";
import type { AdamW } from "./adamw.ts";
import { TrainingDivergedError } from "./diverged.ts";
import { JsonlLog } from "./jsonl_log.ts";
import { RUN_FILES } from "./run_folder.ts";

/** What every logged step has: its 1-based number and the seconds it took. */
export interface StepRecord {
  step: number;
  seconds: number;
}

/** Options for {@linkcode runStepLoop}. */
export interface StepLoopOptions<R extends StepRecord> {
  /** Steps already done: 0 for a new run, the checkpoint's step when resuming. */
  startStep: number;
  /** The run's configured number of steps (the progress total). */
  totalSteps: number;
  /** Stop after this step, as an interruption would (a checkpoint is written there). */
  stopAfterStep?: number;
  /** Write a checkpoint every this many steps (and at the last step). */
  checkpointEvery: number;
  /**
   * The run folder, whose `log.jsonl` gets one line per step (records after `startStep` are dropped first); undefined
   * for an in-memory run.
   */
  out: string | undefined;
  /**
   * Runs step `step` (0-based) and returns its record without `seconds` (the loop times the call).
   *
   * @param lastCheckpointStep The step of the last checkpoint written or resumed from (null: none yet), for
   *   {@linkcode TrainingDivergedError}.
   */
  runStep: (step: number, lastCheckpointStep: number | null) => Promise<Omit<R, "seconds">>;
  /** Writes the checkpoint after `step` steps. */
  checkpoint: (step: number) => Promise<void>;
  /** Scores a monitor batch after `step` steps: before the first step and after every checkpoint. */
  measure?: (step: number) => Promise<void>;
  /** Called after every step with its record (a progress bar). */
  onStep?: (record: R, totalSteps: number) => void;
}

/**
 * Runs steps `startStep … min(totalSteps, stopAfterStep) − 1`. An error thrown by a step (e.g. a
 * {@linkcode TrainingDivergedError}) ends the loop with the log closed and no checkpoint written for that step.
 *
 * @returns The number of steps done and the records of the steps run in this call.
 */
export async function runStepLoop<R extends StepRecord>(
  options: StepLoopOptions<R>,
): Promise<{ step: number; history: R[] }> {
  const { startStep, totalSteps, stopAfterStep, checkpointEvery, out, runStep, checkpoint, measure, onStep } = options;
  const log = out === undefined ? null : await JsonlLog.open(join(out, RUN_FILES.log), { keepUpToStep: startStep });
  const history: R[] = [];
  let step = startStep;
  let lastCheckpointStep = startStep > 0 ? startStep : null;
  try {
    await measure?.(step);
    const last = Math.min(totalSteps, stopAfterStep ?? Infinity);
    while (step < last) {
      const t0 = performance.now();
      const partial = await runStep(step, lastCheckpointStep);
      step++;
      const record = { ...partial, seconds: (performance.now() - t0) / 1000 } as R;
      history.push(record);
      await log?.write({ ...record } as Record<string, unknown>);
      onStep?.(record, totalSteps);
      if (step % checkpointEvery === 0 || step === last) {
        await checkpoint(step);
        lastCheckpointStep = step;
        await measure?.(step);
      }
    }
  } finally {
    log?.close();
  }
  return { step, history };
}

/**
 * One optimiser update with the loop's NaN guard: if `loss` (or any named part) is not finite the gradients are freed
 * and {@linkcode TrainingDivergedError} is thrown before the update, so the weights stay those of the last good step;
 * otherwise AdamW applies the gradients at `lr` and frees them.
 *
 * @param losses The step's loss and any parts to check, by name (the first is the total).
 * @returns The global gradient norm before clipping.
 * @throws {TrainingDivergedError} Naming the non-finite terms, the step (1-based) and the last checkpoint.
 */
export async function guardedUpdate(
  optimizer: AdamW,
  grads: tf.Tensor[],
  lr: number,
  losses: Record<string, number>,
  step: number,
  lastCheckpointStep: number | null,
): Promise<number> {
  const [totalName, total] = Object.entries(losses)[0];
  const bad = Object.entries(losses).slice(1).filter(([, v]) => !Number.isFinite(v)).map(([n]) => n);
  if (!Number.isFinite(total) || bad.length > 0) {
    grads.forEach((g) => g.dispose());
    const which = bad.length === 0 ? "" : ` (${bad.join(", ")} term${bad.length > 1 ? "s" : ""})`;
    throw new TrainingDivergedError(step + 1, `${totalName} is ${total}${which}`, lastCheckpointStep);
  }
  const normTensor = optimizer.apply(grads, lr);
  const gradNorm = (await normTensor.data())[0];
  normTensor.dispose();
  grads.forEach((g) => g.dispose());
  return gradNorm;
}
