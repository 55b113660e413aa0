import { assert, assertAlmostEquals, assertRejects } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { DenseModel } from "../../src/models/mod.ts";
import { initBackend, tf } from "../../src/nn/mod.ts";
import { sampleBatch, viewAgreement } from "../../src/ssl/mod.ts";
import { phantomScan } from "./_fixtures.ts";

const OPTIONS = { batchSize: 2, cropVox: [16, 16, 16] as const, maxPairs: 64 };

/** Per channel, the model's outputs at the listed flat voxels of one view, computed with that view alone in the batch. */
function outputsAt(model: DenseModel, view: Float32Array, mask: Uint8Array, shape: number[], pairs: Int32Array) {
  const x = tf.tensor5d(view, shape as [number, number, number, number, number]);
  const m = model.role === "condition"
    ? tf.tensor5d(Float32Array.from(mask), shape as [number, number, number, number, number])
    : undefined;
  const y = model.apply(x, m);
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, y, ...(m ? [m] : [])]);
  const c = model.unet.config.outChannels;
  return Array.from({ length: c }, (_, ch) => Array.from(pairs, (p) => values[p * c + ch]));
}

/** Textbook Pearson correlation. */
function pearson(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a), mb = mean(b);
  const cov = mean(a.map((v, i) => (v - ma) * (b[i] - mb)));
  const sd = (x: number[], m: number) => Math.sqrt(mean(x.map((v) => (v - m) ** 2)));
  return cov / (sd(a, ma) * sd(b, mb));
}

Deno.test("viewAgreement() is 1 for every channel when view B is view A", async () => {
  await initBackend("cpu");
  const model = new DenseModel("descriptor", "tiny", new Rng(3));
  const batch = sampleBatch([phantomScan(1), phantomScan(2)], new Rng(4), OPTIONS);
  const same = { ...batch, viewB: batch.viewA, maskB: batch.maskA, pairsB: batch.pairsA };
  for (const r of await viewAgreement(model, same)) {
    assert(Number.isFinite(r));
    assertAlmostEquals(r, 1, 1e-5);
  }
  model.dispose();
});

Deno.test("viewAgreement() equals the Pearson correlation of each view's own forward pass (condition, masked)", async () => {
  await initBackend("cpu");
  const model = new DenseModel("condition", "tiny", new Rng(5));
  const batch = sampleBatch([phantomScan(1), phantomScan(2)], new Rng(6), { ...OPTIONS, model: "condition" });
  const got = await viewAgreement(model, batch);
  const shape = [...batch.viewShape];
  const a = outputsAt(model, batch.viewA, batch.maskA, shape, batch.pairsA);
  const b = outputsAt(model, batch.viewB, batch.maskB, shape, batch.pairsB);
  for (let c = 0; c < got.length; c++) {
    assert(Number.isFinite(got[c]), `channel ${c}: ${got[c]}`);
    assertAlmostEquals(got[c], pearson(a[c], b[c]), 1e-4, `channel ${c}`);
  }
  model.dispose();
});

Deno.test("viewAgreement() rejects a batch with fewer than 2 pairs", async () => {
  await initBackend("cpu");
  const model = new DenseModel("descriptor", "tiny", new Rng(3));
  const batch = sampleBatch([phantomScan(1)], new Rng(4), { ...OPTIONS, batchSize: 1 });
  const one = { ...batch, pairCount: 1, pairsA: batch.pairsA.slice(0, 1), pairsB: batch.pairsB.slice(0, 1) };
  await assertRejects(() => viewAgreement(model, one), RangeError, "at least 2");
  model.dispose();
});
