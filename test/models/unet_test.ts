import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import { Rng } from "../../src/data/mod.ts";
import { countParameters, DenseModel, modelConfig, UNet3d } from "../../src/models/mod.ts";
import { tf } from "../../src/nn/mod.ts";

Deno.test("modelConfig('paper') has the authors' widths and ~73 M parameters (within 10 %)", () => {
  const c = modelConfig("paper");
  assertEquals([...c.widths], [16, 64, 256, 1024]);
  const n = countParameters(c);
  assertLess(Math.abs(n - 73e6) / 73e6, 0.1, `paper config has ${n} parameters`);
});

Deno.test("UNet3d builds the paper config and its parameterCount() equals countParameters()", () => {
  const c = modelConfig("paper");
  const net = new UNet3d(c, new Rng(0), "paper_count");
  try {
    assertEquals(net.parameterCount(), countParameters(c));
  } finally {
    net.dispose();
  }
});

Deno.test("UNet3d.apply() gives a stride-1, 32-channel map for any input divisible by the down-sampling", () => {
  const net = new UNet3d(modelConfig("tiny"), new Rng(1));
  try {
    assertEquals(net.parameterCount(), countParameters(net.config));
    for (const [d, h, w] of [[8, 8, 8], [16, 8, 12], [4, 12, 8]]) {
      tf.tidy(() => {
        const y = net.apply(tf.randomUniform([2, d, h, w, 1]) as tf.Tensor5D);
        assertEquals(y.shape, [2, d, h, w, 32]);
        assert(y.dataSync().every(Number.isFinite));
      });
    }
    assertThrows(() => tf.tidy(() => net.apply(tf.zeros([1, 6, 8, 8, 1]) as tf.Tensor5D)), RangeError, "divisible");
    assertThrows(() => tf.tidy(() => net.apply(tf.zeros([1, 8, 8, 8, 2]) as tf.Tensor5D)), RangeError, "1 channels");
  } finally {
    net.dispose();
  }
});

Deno.test("DenseModel condition input replaces masked voxels by the learned token and appends the mask", () => {
  const model = new DenseModel("condition", "tiny", new Rng(2));
  try {
    tf.tidy(() => {
      const image = tf.tensor5d([0.1, 0.2, 0.3, 0.4], [1, 1, 2, 2, 1]);
      const mask = tf.tensor5d([0, 1, 1, 0], [1, 1, 2, 2, 1]);
      const x = model.input(image, mask);
      assertEquals(x.shape, [1, 1, 2, 2, 2]);
      const t = model.maskToken!.dataSync()[0];
      const v = Array.from(x.dataSync());
      assertEquals(v.map((a) => +a.toFixed(6)), [0.1, 0, t, 1, t, 1, 0.4, 0].map((a) => +a.toFixed(6)));
      // d/d(token) of the input's sum is the number of masked voxels (2).
      const { grads } = tf.variableGrads(() => tf.sum(model.input(image, mask)) as tf.Scalar, [model.maskToken!]);
      assertEquals(grads[model.maskToken!.name].dataSync()[0], 2);
    });
    const descriptor = new DenseModel("descriptor", "tiny", new Rng(3));
    assertEquals(descriptor.maskToken, null);
    assertEquals(descriptor.unet.config.inChannels, 1);
    descriptor.dispose();
  } finally {
    model.dispose();
  }
});

Deno.test("UNet3d setWeights(getWeights()) reproduces outputs; shapes are checked", async () => {
  const a = new UNet3d(modelConfig("tiny"), new Rng(4));
  const b = new UNet3d(modelConfig("tiny"), new Rng(5));
  try {
    b.setWeights(await a.getWeights());
    tf.tidy(() => {
      const x = tf.randomUniform([1, 8, 8, 8, 1], 0, 1, "float32", 7) as tf.Tensor5D;
      assertEquals(Array.from(a.apply(x).dataSync()), Array.from(b.apply(x).dataSync()));
    });
    const w = await a.getWeights();
    w.set("stem/w", { shape: [1], values: new Float32Array(1) });
    assertThrows(() => b.setWeights(w), RangeError, "stem/w");
  } finally {
    a.dispose();
    b.dispose();
  }
});
