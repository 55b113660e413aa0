/**
 * The layout of a training run folder, shared by pretraining and density fitting, and the one rule for starting
 * or resuming a run in it.
 *
 * @module
 */
import { join } from "node:path";
import { type Checkpoint, loadCheckpoint } from "./checkpoint.ts";

/** File names inside a run folder: the typed config record, the per-step JSONL log, the latest checkpoint. */
export const RUN_FILES = { config: "config.json", log: "log.jsonl", checkpoint: "checkpoint.bin" } as const;

/**
 * Opens a run folder: with `resume`, returns its checkpoint; without, checks that it holds none (a new run never
 * overwrites an old one).
 *
 * @param out The run folder.
 * @param resume Continue the run in `out`.
 * @returns The checkpoint when resuming, else null.
 * @throws {RangeError} If resuming a folder without a checkpoint, or starting over one.
 * @throws {CheckpointError} If the checkpoint cannot be read.
 */
export async function openRunCheckpoint<M>(out: string, resume: boolean): Promise<Checkpoint<M> | null> {
  const path = join(out, RUN_FILES.checkpoint);
  const exists = await Deno.stat(path).then(() => true, () => false);
  if (resume) {
    if (!exists) throw new RangeError(`Cannot resume run "${out}": it has no ${RUN_FILES.checkpoint}`);
    return await loadCheckpoint<M>(path);
  }
  if (exists) {
    throw new RangeError(`Cannot start a run in "${out}": it already holds a checkpoint: pass resume or another out`);
  }
  return null;
}
