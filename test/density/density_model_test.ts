import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import {
  createDensityModel,
  DENSITY_KINDS,
  densityFitConfig,
  FlowDensity,
  GaussianDensity,
  GaussianUncondDensity,
  parseDensityKind,
} from "../../src/density/mod.ts";
import { useCpu } from "./_fixtures.ts";

Deno.test("parseDensityKind() accepts every kind and suggests the closest for a near miss", () => {
  for (const kind of DENSITY_KINDS) assertEquals(parseDensityKind(kind), kind);
  assertThrows(() => parseDensityKind("Gaussian_Uncond"), RangeError, 'did you mean "gaussian-uncond"');
  assertThrows(() => parseDensityKind("maf"), RangeError, "expected one of flow, gaussian, gaussian-uncond");
});

Deno.test("createDensityModel() rebuilds each kind from its toJSON()", async () => {
  await useCpu();
  const models = [
    createDensityModel({ kind: "flow", dy: 6, dc: 2, blocks: 3, hiddenDim: 8, hiddenLayers: 2, clampAlpha: 1.5 }),
    createDensityModel({ kind: "gaussian", dy: 6, dc: 2, hiddenDim: 8 }),
    createDensityModel({ kind: "gaussian-uncond", dy: 6, dc: 2 }),
  ];
  assertInstanceOf(models[0], FlowDensity);
  assertInstanceOf(models[1], GaussianDensity);
  assertInstanceOf(models[2], GaussianUncondDensity);
  assertEquals(models[2].dc, 0);
  for (const model of models) {
    const copy = createDensityModel(model.toJSON());
    assertEquals(copy.toJSON(), model.toJSON());
    assertEquals(JSON.parse(JSON.stringify(model.toJSON())), model.toJSON());
    assertEquals(await copy.getWeights(), await model.getWeights()); // same seed, same initial weights
    copy.dispose();
    model.dispose();
  }
  assertThrows(() => createDensityModel({ kind: "nope" } as never), RangeError, 'model "nope"');
});

Deno.test("densityFitConfig() fills defaults and names the first invalid field", () => {
  const config = densityFitConfig({ steps: 10 });
  assertEquals(config.steps, 10);
  assertEquals(config.batchSize, 4096);
  assertThrows(() => densityFitConfig({ batchSize: 0 }), RangeError, "batchSize 0: expected a positive integer");
  assertThrows(() => densityFitConfig({ noiseStd: -1 }), RangeError, "noiseStd -1");
  assertThrows(() => densityFitConfig({ warmupFraction: 1 }), RangeError, "warmupFraction 1");
  assertThrows(() => densityFitConfig({ peakLr: 0 }), RangeError, "peakLr 0");
});
