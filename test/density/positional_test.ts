import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { positionalEncoding } from "../../src/density/mod.ts";

Deno.test("positionalEncoding() equals sin/cos at geometric wavelengths from 2 to minWavelength per axis", () => {
  const coords = new Float32Array([0.5, 0.25, 1, 0, 0.75, 0.125]);
  const dim = 18; // F = 3 frequencies per axis: wavelengths 2, 2·(1/128)^½ = 0.1768, 1/64
  const out = positionalEncoding(coords, dim, { minWavelength: 1 / 64 });
  assertEquals(out.length, 2 * dim);
  const wavelengths = [2, 2 * Math.sqrt(1 / 128), 1 / 64];
  for (let k = 0; k < 2; k++) {
    for (let a = 0; a < 3; a++) {
      for (let f = 0; f < 3; f++) {
        const angle = (2 * Math.PI / wavelengths[f]) * coords[3 * k + a];
        assertAlmostEquals(out[k * dim + a * 6 + 2 * f], Math.sin(angle), 1e-6);
        assertAlmostEquals(out[k * dim + a * 6 + 2 * f + 1], Math.cos(angle), 1e-6);
      }
    }
  }
  // Hand values: the lowest frequency is π, so x = 0.5 → (1, 0) and x = 1 → (0, −1).
  assertAlmostEquals(out[0], 1, 1e-7);
  assertAlmostEquals(out[1], 0, 1e-7);
  assertAlmostEquals(out[12], 0, 1e-7);
  assertAlmostEquals(out[13], -1, 1e-7);
});

Deno.test("positionalEncoding() with one frequency per axis uses wavelength 2", () => {
  const out = positionalEncoding(new Float32Array([0.5, 0, 1 / 3]), 6);
  const expected = [1, 0, 0, 1, Math.sin(Math.PI / 3), Math.cos(Math.PI / 3)];
  for (let i = 0; i < 6; i++) assertAlmostEquals(out[i], expected[i], 1e-6);
});

Deno.test("positionalEncoding() rejects bad dims and unnormalised coordinates", () => {
  assertThrows(
    () => positionalEncoding(new Float32Array(3), 32),
    RangeError,
    "dim 32: expected a positive multiple of 6",
  );
  assertThrows(() => positionalEncoding(new Float32Array(4), 6), RangeError, "4 values");
  assertThrows(
    () => positionalEncoding(new Float32Array([0, 0, 0, 0.5, 12, 0]), 6),
    RangeError,
    "row 1 axis 1 has coordinate 12",
  );
  assertThrows(() => positionalEncoding(new Float32Array(3), 6, { minWavelength: 0 }), RangeError, "minWavelength 0");
});
