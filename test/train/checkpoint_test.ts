import { assertEquals, assertRejects } from "@std/assert";
import { CheckpointError, loadCheckpoint, saveCheckpoint } from "../../src/train/mod.ts";
import { tempDir } from "../_support/python.ts";

Deno.test("saveCheckpoint() and loadCheckpoint() round-trip tensors and metadata exactly", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const tensors = new Map([
      ["a/w", { shape: [2, 3], values: Float32Array.of(1, -2, 3.5, 1e-30, -0, 7) }],
      ["b", { shape: [], values: Float32Array.of(Math.PI) }],
      ["empty", { shape: [0], values: new Float32Array(0) }],
    ]);
    const meta = { step: 12, config: { seed: 3, name: "tiny" }, rng: { seed: 3, step: 12 } };
    await saveCheckpoint(`${dir}/run/ckpt.bin`, { meta, tensors });
    const back = await loadCheckpoint(`${dir}/run/ckpt.bin`);
    assertEquals(back.meta, meta);
    assertEquals(back.tensors, tensors);
  } finally {
    await cleanup();
  }
});

Deno.test("loadCheckpoint() names the file when it is missing, foreign or truncated", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await assertRejects(() => loadCheckpoint(`${dir}/none.bin`), CheckpointError, "none.bin");
    await Deno.writeTextFile(`${dir}/foreign.bin`, "hello world, not a checkpoint");
    await assertRejects(() => loadCheckpoint(`${dir}/foreign.bin`), CheckpointError, "magic");
    await saveCheckpoint(`${dir}/ok.bin`, {
      meta: { step: 1 },
      tensors: new Map([["w", { shape: [100], values: new Float32Array(100) }]]),
    });
    const bytes = await Deno.readFile(`${dir}/ok.bin`);
    await Deno.writeFile(`${dir}/cut.bin`, bytes.subarray(0, bytes.length - 10));
    await assertRejects(() => loadCheckpoint(`${dir}/cut.bin`), CheckpointError, "truncated");
  } finally {
    await cleanup();
  }
});
