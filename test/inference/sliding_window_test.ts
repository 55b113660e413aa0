import { assert, assertEquals, assertInstanceOf, assertLess, assertRejects, assertStrictEquals } from "@std/assert";
import {
  type Predictor,
  slidingWindow,
  slidingWindowChannels,
  slidingWindowPeakBytes,
  windowPositions,
} from "../../src/inference/mod.ts";
import { createVolume, type Vec3 } from "../../src/io/mod.ts";
import { maxRelDiff, pointwise, randomVolume, TEST_AFFINE } from "./_fixtures.ts";

/** Shapes × windows covering: smaller than the window along some or all axes, non-divisible sizes, window 1. */
const SHAPES: Vec3[] = [[1, 1, 1], [5, 7, 3], [16, 16, 16], [17, 9, 30], [33, 20, 11]];
const WINDOWS: Vec3[] = [[8, 8, 8], [16, 4, 5], [1, 3, 2], [20, 20, 20]];
const OVERLAPS = [0, 0.25, 0.5, 0.75, 0.9];
const BATCHES = [1, 3, 4];

/**
 * Float32 stitching error: Σ w·s and Σ w each add up to `m` same-signed terms (m windows cover the voxel), so the
 * standard summation bound gives a relative error of at most about 2(m + 1)·u, u = 2⁻²⁴.
 */
function tolerance(shape: Vec3, windowVox: Vec3, overlap: number): number {
  const starts = windowPositions(shape, { windowVox, overlap });
  let m = 1;
  for (let d = 0; d < 3; d++) {
    const cover = new Uint16Array(shape[d]);
    for (const s of starts[d]) for (let t = Math.max(0, s); t < Math.min(shape[d], s + windowVox[d]); t++) cover[t]++;
    m *= Math.max(...cover);
  }
  return 2 * (m + 1) * 2 ** -24;
}

Deno.test("slidingWindow() stitches a constant predictor to the constant for every shape, window, overlap, batch", async () => {
  let cases = 0;
  for (const shape of SHAPES) {
    const volume = randomVolume(shape);
    for (const windowVox of WINDOWS) {
      for (const overlap of OVERLAPS) {
        for (const batchSize of BATCHES) {
          const constant: Predictor = (_windows, n, w) =>
            Promise.resolve(new Float32Array(n * w[0] * w[1] * w[2]).fill(3.7));
          const out = await slidingWindow(volume, constant, { windowVox, overlap, batchSize });
          const label = `shape ${shape}, window ${windowVox}, overlap ${overlap}, batch ${batchSize}`;
          assertEquals([out.shape, out.affine, out.unit], [volume.shape, volume.affine, "score"], label);
          assertLess(
            maxRelDiff(out.data, new Float32Array(out.data.length).fill(3.7)),
            tolerance(shape, windowVox, overlap),
            label,
          );
          cases++;
        }
      }
    }
  }
  assertEquals(cases, 300);
});

Deno.test("slidingWindow() with a predictor that doubles its input gives twice the input (MONAI's invariant)", async () => {
  for (const shape of SHAPES) {
    const volume = randomVolume(shape, 7);
    const twice = volume.data.map((x) => 2 * x);
    for (const windowVox of WINDOWS) {
      for (const overlap of [0, 0.5, 0.75]) {
        const out = await slidingWindow(volume, pointwise((x) => 2 * x), { windowVox, overlap, batchSize: 3 });
        assertLess(
          maxRelDiff(out.data, twice),
          tolerance(shape, windowVox, overlap),
          `shape ${shape}, window ${windowVox}, overlap ${overlap}`,
        );
      }
    }
  }
});

Deno.test("slidingWindow() with a pointwise predictor equals the predictor applied to the whole volume", async () => {
  const f = (x: number) => x * x - 0.3 * x + Math.sin(3 * x) - 5;
  for (const shape of [[40, 31, 23], [9, 50, 6]] as Vec3[]) {
    const volume = randomVolume(shape, 3);
    const whole = volume.data.map(f); // float32, as the predictor returns
    for (const windowVox of [[16, 16, 8], [12, 64, 7]] as Vec3[]) {
      const out = await slidingWindow(volume, pointwise(f), { windowVox, overlap: 0.5, batchSize: 2 });
      assertLess(maxRelDiff(out.data, whole), tolerance(shape, windowVox, 0.5), `shape ${shape}, window ${windowVox}`);
    }
  }
  // Also on an integer volume (gathered as float32) and with an identity predictor that returns its input buffer.
  const ints = createVolume(
    Int16Array.from({ length: 20 * 10 * 6 }, (_, p) => (p % 37) - 1000),
    [20, 10, 6],
    TEST_AFFINE,
  );
  const same = await slidingWindow(ints, (windows) => Promise.resolve(windows), { windowVox: [8, 8, 8] });
  assertLess(maxRelDiff(same.data, Float32Array.from(ints.data)), tolerance(ints.shape, [8, 8, 8], 0.5));
});

Deno.test("slidingWindowChannels() stitches every output channel of a multi-channel predictor", async () => {
  const shape: Vec3 = [21, 14, 10];
  const a = randomVolume(shape, 11), b = randomVolume(shape, 12);
  // In: [n, wk, wj, wi, 2] (a, b interleaved); out: [n, wk, wj, wi, 3] = (a + b, a·b, a − 2b).
  const predictor: Predictor = (windows, n, w) => {
    const voxels = n * w[0] * w[1] * w[2];
    assertEquals(windows.length, 2 * voxels);
    const out = new Float32Array(3 * voxels);
    for (let q = 0; q < voxels; q++) {
      const x = windows[2 * q], y = windows[2 * q + 1];
      out.set([x + y, x * y, x - 2 * y], 3 * q);
    }
    return Promise.resolve(out);
  };
  const out = await slidingWindowChannels([a, b], predictor, { windowVox: [8, 6, 12], outChannels: 3, batchSize: 4 });
  assertEquals(out.length, 3);
  const f = [(x: number, y: number) => x + y, (x: number, y: number) => x * y, (x: number, y: number) => x - 2 * y];
  out.forEach((channel, c) => {
    assertEquals([channel.shape, channel.affine], [a.shape, a.affine]);
    assertStrictEquals(channel.data.buffer, out[0].data.buffer); // planar views of one buffer
    const want = Float32Array.from(a.data, (x, p) => f[c](x, b.data[p]));
    assertLess(maxRelDiff(channel.data, want), tolerance(shape, [8, 6, 12], 0.5), `channel ${c}`);
  });
});

/**
 * Reference written from the definition, in float64: loops over every window of the product of `windowPositions`,
 * weights from the closed-form Gaussian, and sums w·s and w per voxel.
 */
function referenceStitch(
  shape: Vec3,
  windowVox: Vec3,
  overlap: number,
  score: (local: Vec3, global: Vec3) => number,
): Float64Array {
  const starts = windowPositions(shape, { windowVox, overlap });
  const g = (t: number, w: number) => {
    const c = (w - 1) / 2, s = w / 8, near = Math.floor(c);
    return Math.exp(-((t - c) ** 2) / (2 * s * s)) / Math.exp(-((near - c) ** 2) / (2 * s * s));
  };
  const n = shape[0] * shape[1] * shape[2];
  const sum = new Float64Array(n), weight = new Float64Array(n);
  for (const s2 of starts[2]) {
    for (const s1 of starts[1]) {
      for (const s0 of starts[0]) {
        for (let kk = 0; kk < windowVox[2]; kk++) {
          for (let jj = 0; jj < windowVox[1]; jj++) {
            for (let ii = 0; ii < windowVox[0]; ii++) {
              const [i, j, k] = [s0 + ii, s1 + jj, s2 + kk];
              if (i < 0 || j < 0 || k < 0 || i >= shape[0] || j >= shape[1] || k >= shape[2]) continue;
              const w = Math.max(1e-3, g(ii, windowVox[0]) * g(jj, windowVox[1]) * g(kk, windowVox[2]));
              const p = i + shape[0] * (j + shape[1] * k);
              sum[p] += w * score([ii, jj, kk], [i, j, k]);
              weight[p] += w;
            }
          }
        }
      }
    }
  }
  return sum.map((s, p) => s / weight[p]);
}

Deno.test("slidingWindow() equals a from-the-definition reference for a position-dependent predictor", async () => {
  // The score depends on the voxel's place in its window, so blending weights and alignment both matter.
  const local = ([ii, jj, kk]: Vec3) => 0.1 * ii - 0.07 * jj + 0.05 * kk * kk;
  for (
    const [shape, windowVox, overlap] of [
      [[30, 22, 13], [12, 10, 8], 0.5],
      [[30, 5, 13], [12, 10, 8], 0.6], // j padded
      [[19, 17, 9], [7, 6, 9], 0.25], // odd windows, k exactly one window
    ] as [Vec3, Vec3, number][]
  ) {
    const volume = randomVolume(shape);
    const predictor: Predictor = (_windows, n, w) => {
      const out = new Float32Array(n * w[0] * w[1] * w[2]);
      for (let b = 0, q = 0; b < n; b++) {
        for (let kk = 0; kk < w[2]; kk++) {
          for (let jj = 0; jj < w[1]; jj++) for (let ii = 0; ii < w[0]; ii++, q++) out[q] = local([ii, jj, kk]);
        }
      }
      return Promise.resolve(out);
    };
    const out = await slidingWindow(volume, predictor, { windowVox, overlap, batchSize: 2 });
    const want = referenceStitch(shape, windowVox, overlap, local);
    let err = 0;
    for (let p = 0; p < want.length; p++) err = Math.max(err, Math.abs(out.data[p] - want[p]));
    assertLess(err, 1e-5, `shape ${shape}, window ${windowVox}: max error ${err}`);
  }
});

Deno.test("slidingWindow() pads windows with padValue around a volume smaller than the window (NDHWC layout)", async () => {
  const shape: Vec3 = [5, 12, 3], windowVox: Vec3 = [8, 6, 8];
  const a = randomVolume(shape, 21), b = randomVolume(shape, 22);
  const seen: Float32Array[] = [];
  const record: Predictor = (windows, n, w) => {
    seen.push(windows.slice());
    return Promise.resolve(new Float32Array(n * w[0] * w[1] * w[2]));
  };
  await slidingWindow([a, b], record, { windowVox, padValue: [7, -1], batchSize: 2 });
  const starts = windowPositions(shape, { windowVox });
  assertEquals(starts, [[-1], [0, 3, 6], [-2]]); // i: 3 pad voxels, 1 before; k: 5, 2 before
  const got = new Float32Array(seen.reduce((s, x) => s + x.length, 0));
  seen.reduce((offset, x) => (got.set(x, offset), offset + x.length), 0);
  const want: number[] = [];
  for (const s1 of starts[1]) {
    for (let kk = 0; kk < 8; kk++) {
      for (let jj = 0; jj < 6; jj++) {
        for (let ii = 0; ii < 8; ii++) {
          const [i, j, k] = [ii - 1, s1 + jj, kk - 2];
          const inside = i >= 0 && i < 5 && k >= 0 && k < 3;
          const p = i + 5 * (j + 12 * k);
          want.push(inside ? a.data[p] : 7, inside ? b.data[p] : -1);
        }
      }
    }
  }
  assertEquals(got, Float32Array.from(want));
});

Deno.test("slidingWindow() passes at most batchSize windows per call and gives identical maps for any batch size", async () => {
  const volume = randomVolume([37, 29, 21], 5);
  const windowVox: Vec3 = [16, 12, 8];
  const total = windowPositions(volume.shape, { windowVox }).reduce((a, s) => a * s.length, 1);
  assertEquals(total, 4 * 4 * 5);
  const results: Float32Array[] = [];
  for (const batchSize of [1, 4, 7, 1000]) {
    const sizes: number[] = [];
    const progress: [number, number][] = [];
    const f: Predictor = (windows, n, w) => {
      assertEquals(w, windowVox);
      assertEquals(windows.length, n * 16 * 12 * 8);
      sizes.push(n);
      return Promise.resolve(windows.map((x) => Math.exp(x)));
    };
    const out = await slidingWindow(volume, f, { windowVox, batchSize, onProgress: (d, t) => progress.push([d, t]) });
    assert(sizes.every((n) => n >= 1 && n <= batchSize), `batch ${batchSize}: ${sizes}`);
    assertEquals(sizes.length, Math.ceil(total / batchSize));
    assertEquals(sizes.reduce((a, n) => a + n, 0), total);
    let done = 0;
    assertEquals(progress, sizes.map((n) => [done += n, total]));
    results.push(out.data);
  }
  for (const r of results.slice(1)) assertEquals(r, results[0]); // same windows, same order: bit for bit
});

Deno.test("slidingWindow() records the unit option and keeps the input untouched", async () => {
  const volume = randomVolume([10, 9, 8]);
  const before = volume.data.slice();
  const out = await slidingWindow(volume, pointwise((x) => -x), { windowVox: [4, 4, 4], unit: "unit" });
  assertEquals(out.unit, "unit");
  assertEquals(volume.data, before);
});

Deno.test("slidingWindowPeakBytes() counts result, weight sum, importance map and one batch", () => {
  // 256×256×160, 96×96×64, 100 windows; batch 4, 1 channel in and out: 4·(2N + W·(1 + 4·2)) bytes.
  const n = 256 * 256 * 160, w = 96 * 96 * 64;
  assertEquals(slidingWindowPeakBytes([256, 256, 160], { batchSize: 4 }), 4 * (2 * n + 9 * w));
  assertEquals(slidingWindowPeakBytes([256, 256, 160], { batchSize: 4 }), 105119744);
  // The batch never exceeds the number of windows; channels scale their buffers.
  assertEquals(
    slidingWindowPeakBytes([10, 10, 10], { windowVox: [10, 10, 10], batchSize: 8, inChannels: 2, outChannels: 3 }),
    4 * (1000 * 4 + 1000 * (1 + 1 * 5)),
  );
});

Deno.test("slidingWindow() throws RangeError quoting each bad option", async () => {
  const volume = randomVolume([8, 8, 8]);
  const id: Predictor = (w) => Promise.resolve(w);
  const bad: [Record<string, unknown>, string][] = [
    [{ overlap: 1 }, "overlap must be in [0, 1): current value is 1"],
    [{ overlap: 1.2 }, "current value is 1.2"],
    [{ overlap: -0.5 }, "current value is -0.5"],
    [{ windowVox: [0, 4, 4] }, "windowVox must be 3 positive integers: current value is [0, 4, 4]"],
    [{ windowVox: [4, -4, 4] }, "current value is [4, -4, 4]"],
    [{ windowVox: [4, 4, 1.5] }, "current value is [4, 4, 1.5]"],
    [{ batchSize: 0 }, "batchSize must be a positive integer: current value is 0"],
    [{ batchSize: 2.5 }, "current value is 2.5"],
    [{ sigmaScale: -1 }, "sigmaScale must be a positive finite number: current value is -1"],
    [{ minWeight: 0 }, "minWeight must be in (0, 1]: current value is 0"],
    [{ outChannels: 0 }, "outChannels must be a positive integer: current value is 0"],
    [{ padValue: NaN }, "padValue must be a finite number or 1 of them: current value is NaN"],
    [{ padValue: [0, 1] }, "current value is [0, 1]"],
  ];
  for (const [options, message] of bad) {
    await assertRejects(() => slidingWindowChannels(volume, id, options), RangeError, message);
  }
});

Deno.test("slidingWindow() throws TypeError when the predictor returns the wrong length or type", async () => {
  const volume = randomVolume([20, 8, 8]);
  const short: Predictor = (_w, n) => Promise.resolve(new Float32Array(n * 4 * 4 * 4 - 1));
  await assertRejects(
    () => slidingWindow(volume, short, { windowVox: [4, 4, 4], batchSize: 3 }),
    TypeError,
    "Cannot stitch windows 1–3 of 81: the predictor returned 191 values: expected a Float32Array of 192 values " +
      "([3, 4, 4, 4, 1] NDHWC)",
  );
  // Two output channels announced, one returned.
  await assertRejects(
    () => slidingWindowChannels(volume, (w) => Promise.resolve(w), { windowVox: [4, 4, 4], outChannels: 2 }),
    TypeError,
    "returned 64 values: expected a Float32Array of 128 values",
  );
  const f64 = (() => Promise.resolve(new Float64Array(64))) as unknown as Predictor;
  await assertRejects(() => slidingWindow(volume, f64, { windowVox: [4, 4, 4] }), TypeError, "returned a Float64Array");
});

Deno.test("slidingWindow() names the windows when the predictor fails and keeps its error as cause", async () => {
  const volume = randomVolume([8, 8, 8]);
  const boom = new RangeError("session closed");
  let calls = 0;
  const failing: Predictor = (w) => (++calls === 2 ? Promise.reject(boom) : Promise.resolve(w));
  const error = await assertRejects(
    () => slidingWindow(volume, failing, { windowVox: [4, 4, 4], batchSize: 5 }),
    Error,
    "Cannot score windows 6–10 of 27: the predictor failed: session closed",
  );
  assertStrictEquals(error.cause, boom);
});

Deno.test("slidingWindow() throws TypeError when input channels are on different grids", async () => {
  const a = randomVolume([8, 8, 8]);
  const id: Predictor = (w) => Promise.resolve(w);
  await assertRejects(() => slidingWindow([a, randomVolume([8, 8, 7])], id), TypeError, "input channel 1 (8×8×7)");
  const shifted = createVolume(a.data, a.shape, TEST_AFFINE.map((v, e) => (e === 3 ? v + 1 : v)));
  await assertRejects(() => slidingWindow([a, shifted], id), TypeError, "is not on the grid of channel 0");
  const error = await assertRejects(() => slidingWindow([], id), TypeError, "the input has no channels");
  assertInstanceOf(error, TypeError);
});
