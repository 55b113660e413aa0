/**
 * Training infrastructure shared by pretraining (src/ssl) and density fitting (src/density): the step loop and its
 * guarded update, AdamW with clipping, the one-cycle schedule, atomic checkpoints and JSONL logs.
 *
 * @module
 */
export * from "./adamw.ts";
export * from "./schedule.ts";
export * from "./checkpoint.ts";
export * from "./jsonl_log.ts";
export * from "./diverged.ts";
export * from "./run_folder.ts";
export * from "./step_loop.ts";
