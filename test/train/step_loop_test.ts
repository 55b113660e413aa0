import { assert, assertEquals, assertRejects } from "@std/assert";
import { initBackend, tf } from "../../src/nn/mod.ts";
import { AdamW, guardedUpdate, readJsonl, runStepLoop, TrainingDivergedError } from "../../src/train/mod.ts";
import { tempDir } from "../_support/python.ts";

interface Rec {
  step: number;
  value: number;
  seconds: number;
}

Deno.test("runStepLoop() logs every step, checkpoints on schedule and at the end, and measures after each", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const events: string[] = [];
    const run = (startStep: number, stopAfterStep?: number) =>
      runStepLoop<Rec>({
        startStep,
        totalSteps: 7,
        stopAfterStep,
        checkpointEvery: 3,
        out: dir,
        runStep: (step, last) => {
          events.push(`step ${step} (last checkpoint ${last})`);
          return Promise.resolve({ step: step + 1, value: step * step });
        },
        checkpoint: (step) => Promise.resolve(void events.push(`checkpoint ${step}`)),
        measure: (step) => Promise.resolve(void events.push(`measure ${step}`)),
      });
    const first = await run(0, 4);
    assertEquals(first.step, 4);
    assertEquals(first.history.map((r) => r.step), [1, 2, 3, 4]);
    assert(first.history.every((r) => r.seconds >= 0));
    assertEquals(events, [
      "measure 0",
      "step 0 (last checkpoint null)",
      "step 1 (last checkpoint null)",
      "step 2 (last checkpoint null)",
      "checkpoint 3",
      "measure 3",
      "step 3 (last checkpoint 3)",
      "checkpoint 4",
      "measure 4",
    ]);
    // Resume from step 3 (as if step 4's checkpoint were lost): the log drops step 4 and continues.
    events.length = 0;
    const resumed = await run(3);
    assertEquals(resumed.step, 7);
    assertEquals(events[1], "step 3 (last checkpoint 3)");
    assertEquals(events.filter((e) => e.startsWith("checkpoint")), ["checkpoint 6", "checkpoint 7"]);
    const log = await readJsonl<Rec>(`${dir}/log.jsonl`);
    assertEquals(log.map((r) => [r.step, r.value]), [[1, 0], [2, 1], [3, 4], [4, 9], [5, 16], [6, 25], [7, 36]]);
  } finally {
    await cleanup();
  }
});

Deno.test("runStepLoop() ends on a step's error with the log closed and no checkpoint for that step", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const checkpoints: number[] = [];
    await assertRejects(
      () =>
        runStepLoop<Rec>({
          startStep: 0,
          totalSteps: 10,
          checkpointEvery: 2,
          out: dir,
          runStep: (step, last) => {
            if (step === 4) throw new TrainingDivergedError(step + 1, "loss is NaN", last);
            return Promise.resolve({ step: step + 1, value: 0 });
          },
          checkpoint: (step) => Promise.resolve(void checkpoints.push(step)),
        }),
      TrainingDivergedError,
      "last good checkpoint is step 4",
    );
    assertEquals(checkpoints, [2, 4]);
    assertEquals((await readJsonl<Rec>(`${dir}/log.jsonl`)).length, 4);
    // The log must be closed on the error: Deno's resource sanitizer fails this test if its file is left open.
  } finally {
    await cleanup();
  }
});

Deno.test("guardedUpdate() applies AdamW when the loss is finite and refuses, freeing the gradients, when not", async () => {
  await initBackend("cpu");
  const w = tf.variable(tf.tensor1d([1, 2]));
  const optimizer = new AdamW([w], { weightDecay: 0 });
  try {
    const norm = await guardedUpdate(optimizer, [tf.tensor1d([3, 4])], 0.1, { loss: 1 }, 0, null);
    assertEquals(norm, 5);
    const moved = await w.data();
    assert(moved[0] < 1 && moved[1] < 2, "one AdamW step against the gradient");
    const grads = [tf.tensor1d([1, 1])];
    const before = tf.memory().numTensors;
    await assertRejects(
      () => guardedUpdate(optimizer, grads, 0.1, { loss: 2, invariance: NaN, variance: 1 }, 6, 5),
      TrainingDivergedError,
      "loss is 2 (invariance term) at step 7: last good checkpoint is step 5",
    );
    assertEquals(tf.memory().numTensors, before - 1, "the gradient was freed");
    assertEquals(Array.from(await w.data()), Array.from(moved), "no update");
  } finally {
    optimizer.dispose();
    w.dispose();
  }
});
