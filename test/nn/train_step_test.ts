import { assert, assertEquals } from "@std/assert";
import {
  addScaled,
  conv3d,
  depthwiseConv3d,
  gelu,
  layerNorm,
  patchDown,
  patchUp,
  pointwise,
  tf,
} from "../../src/nn/mod.ts";
import { forEachBackend } from "./_backends.ts";

/** A small composite of every op: conv3d → depthwise → layerNorm → gelu → pointwise → addScaled → patchDown → patchUp. */
function makeNet() {
  const init = (shape: number[], seed: number, scale = 0.3, offset = 0) =>
    tf.tidy(() => tf.variable(tf.add(tf.mul(tf.randomNormal(shape, 0, 1, "float32", seed), scale), offset)));
  const p = {
    w1: init([3, 3, 3, 1, 4], 1),
    b1: init([4], 2, 0.1),
    dw: init([3, 3, 3, 4], 3),
    g: init([4], 4, 0.1, 1),
    be: init([4], 5, 0.1),
    w2: init([4, 8], 6),
    b2: init([8], 7, 0.1),
    w3: init([8, 4], 8),
    s: init([4], 9, 0.1, 0.5),
    wd: init([32, 8], 10),
    wu: init([8, 8], 11),
    bu: init([1], 12, 0.1),
  };
  const apply = (x: tf.Tensor5D) => {
    let h = conv3d(x, p.w1 as tf.Tensor5D, p.b1 as tf.Tensor1D);
    const r = depthwiseConv3d(h, p.dw as tf.Tensor4D);
    h = gelu(
      pointwise(layerNorm(r, p.g as tf.Tensor1D, p.be as tf.Tensor1D), p.w2 as tf.Tensor2D, p.b2 as tf.Tensor1D),
    );
    h = addScaled(r, pointwise(h, p.w3 as tf.Tensor2D), p.s as tf.Tensor1D);
    return patchUp(patchDown(h, p.wd as tf.Tensor2D), p.wu as tf.Tensor2D, p.bu as tf.Tensor1D);
  };
  return { apply, variables: Object.values(p) };
}

Deno.test("conv3d() … patchUp() in Adam steps keep tf.memory().numTensors constant and lower the loss", async (t) => {
  await forEachBackend(t, async () => {
    const before = tf.memory().numTensors;
    const net = makeNet();
    const x = tf.randomNormal([2, 4, 4, 4, 1], 0, 1, "float32", 13) as tf.Tensor5D;
    const target = tf.randomNormal([2, 4, 4, 4, 1], 0, 1, "float32", 14);
    const optimizer = tf.train.adam(0.01);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(x), target))));
        optimizer.applyGradients(grads as Record<string, tf.Variable>);
        return value;
      });
    const losses: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const loss = step();
      losses.push((await loss.data())[0]);
      loss.dispose();
      counts.push(tf.memory().numTensors);
    }
    // Step 1 creates Adam's slots; from then on the count must not move.
    assertEquals(counts.slice(1), Array(4).fill(counts[1]), `tensor counts per step: ${counts}`);
    assert(losses[4] < losses[0], `loss did not decrease: ${losses}`);
    optimizer.dispose();
    tf.dispose([x, target, ...net.variables]);
    assertEquals(tf.memory().numTensors, before);
  });
});
