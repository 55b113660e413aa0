import { assert, assertEquals, assertThrows } from "@std/assert";
import { windowPositions } from "../../src/inference/mod.ts";
import type { Vec3 } from "../../src/io/mod.ts";

/** MONAI's `_get_scan_interval` + `dense_patch_slices` for one axis (n ≥ w), loop for loop, plus our 1e-9 guard. */
function monaiStarts(n: number, w: number, overlap: number): number[] {
  const interval = n === w ? w : Math.max(1, Math.floor(w * (1 - overlap) + 1e-9));
  const num = Math.ceil(n / interval);
  let scanDim: number | undefined;
  for (let d = 0; d < num; d++) {
    if (d * interval + w >= n) {
      scanDim = d;
      break;
    }
  }
  const count = scanDim === undefined ? 1 : scanDim + 1;
  const starts: number[] = [];
  for (let idx = 0; idx < count; idx++) {
    const start = idx * interval;
    starts.push(start - Math.max(start + w - n, 0));
  }
  return starts;
}

Deno.test("windowPositions() covers every voxel, snaps the last window and counts ceil((n − w) / step) + 1", () => {
  for (const n of [1, 2, 5, 8, 9, 16, 17, 31, 64, 100, 160, 257]) {
    for (const w of [1, 2, 3, 8, 16, 64, 96]) {
      for (const overlap of [0, 0.1, 0.25, 0.5, 0.6, 0.75, 0.9, 0.99]) {
        const [starts] = windowPositions([n, 1, 1], { windowVox: [w, 1, 1], overlap });
        const label = `n ${n}, w ${w}, overlap ${overlap}`;
        if (n < w) {
          assertEquals(starts, [-Math.floor((w - n) / 2)], label); // padded: the volume sits mid-window
          continue;
        }
        const step = Math.max(1, Math.floor(w * (1 - overlap) + 1e-9));
        assertEquals(starts.length, Math.ceil((n - w) / step) + 1, label);
        assertEquals(starts[0], 0, label);
        assertEquals(starts[starts.length - 1], n - w, label); // snapped to the border
        for (let t = 1; t < starts.length; t++) {
          const gap = starts[t] - starts[t - 1];
          assert(gap > 0 && gap <= step && (t === starts.length - 1 || gap === step), `${label}: gap ${gap}`);
          // Every pair of neighbours shares at least the requested fraction of a window.
          assert(w - gap >= overlap * w - 1e-9 || step === 1, `${label}: shared ${w - gap}`);
        }
        const covered = new Uint8Array(n);
        for (const s of starts) covered.fill(1, s, s + w);
        assert(covered.every((c) => c === 1), label);
        assertEquals(starts, monaiStarts(n, w, overlap), label);
      }
    }
  }
});

Deno.test("windowPositions() with overlap 0 tiles a volume that the window divides", () => {
  const [i, j, k] = windowPositions([24, 30, 8], { windowVox: [8, 10, 8], overlap: 0 });
  assertEquals([i, j, k], [[0, 8, 16], [0, 10, 20], [0]]);
  // Not divisible: the last tile is snapped back and overlaps its neighbour.
  assertEquals(windowPositions([25, 8, 8], { windowVox: [8, 8, 8], overlap: 0 })[0], [0, 8, 16, 17]);
});

Deno.test("windowPositions() gives the METHOD §6 grid for a 256×256×160 volume", () => {
  const starts = windowPositions([256, 256, 160]);
  assertEquals(starts, [[0, 48, 96, 144, 160], [0, 48, 96, 144, 160], [0, 32, 64, 96]]);
  // Per axis independently, and a window larger than the volume along one axis is centred.
  assertEquals(windowPositions([256, 40, 160], { windowVox: [96, 96, 64] })[1], [-28]);
});

Deno.test("windowPositions() throws RangeError quoting a bad shape, window or overlap", () => {
  const bad: [Vec3, Vec3, number, string][] = [
    [[10, 10, 10], [8, 8, 8], 1, "current value is 1"],
    [[10, 10, 10], [8, 8, 8], 1.5, "current value is 1.5"],
    [[10, 10, 10], [8, 8, 8], -0.1, "current value is -0.1"],
    [[10, 10, 10], [8, 8, 8], NaN, "current value is NaN"],
    [[10, 10, 10], [0, 8, 8], 0.5, "windowVox must be 3 positive integers: current value is [0, 8, 8]"],
    [[10, 10, 10], [8, -4, 8], 0.5, "current value is [8, -4, 8]"],
    [[10, 10, 10], [8, 8, 2.5], 0.5, "current value is [8, 8, 2.5]"],
    [[10, 10, 10], [8, 8] as unknown as Vec3, 0.5, "current value is [8, 8]"],
    [[10, 0, 10], [8, 8, 8], 0.5, "shape must be 3 positive integers: current value is [10, 0, 10]"],
  ];
  for (const [shape, windowVox, overlap, message] of bad) {
    assertThrows(() => windowPositions(shape, { windowVox, overlap }), RangeError, message);
  }
});
