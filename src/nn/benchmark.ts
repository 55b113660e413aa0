/**
 * {@linkcode benchNn}: per-op and training-step timings of the nn ops on a small 3D U-Net, for `deno task bench`
 * (the task prints; this module only measures and returns numbers).
 *
 * Two networks on `[batch, size, size, size, 1]` inputs, three levels of widths 8/16/32 (full resolution, /2, /4):
 * - `"convnext"` — the models stage's block: depthwise k³ → layerNorm → pointwise ×4 → GELU → pointwise →
 *   addScaled, one block per level and decoder level, patchDown/patchUp between levels, additive skips, a 3×3×3
 *   stem conv and a pointwise head to 32 channels;
 * - `"plain"` — STACK.md's prototype shape: two (conv3d k³ → layerNorm → GELU) per level and decoder level, the
 *   same down/up-sampling, skips and head.
 *
 * FLOPs follow {@linkcode flopsOf} (2 per multiply–add of convolutions and matmuls, elementwise ops 0; a training
 * step counts forward + both gradients of every op except the input gradient of the first).
 *
 * @module
 */
import { tf } from "./tf.ts";
import { type BackendName, type BackendReport, initBackend } from "./backend.ts";
import { addScaled } from "./ops/add_scaled.ts";
import { conv3d } from "./ops/conv3d.ts";
import { depthwiseConv3d } from "./ops/depthwise_conv3d.ts";
import { type FlopOp, flopsOf } from "./ops/flops.ts";
import { gelu } from "./ops/gelu.ts";
import { layerNorm } from "./ops/layer_norm.ts";
import { patchDown } from "./ops/patch_down.ts";
import { patchUp } from "./ops/patch_up.ts";
import { pointwise } from "./ops/pointwise.ts";

/** Networks {@linkcode benchNn} can time. */
export const BENCH_NETS = ["convnext", "plain"] as const;
/** One of {@linkcode BENCH_NETS}. */
export type BenchNet = typeof BENCH_NETS[number];

/** Options for {@linkcode benchNn}. */
export interface BenchNnOptions {
  /** Backend to time. @default {"cpu"} */
  backend?: Exclude<BackendName, "auto">;
  /** On "cpu": fast kernels (true) or stock tfjs kernels (false). @default {true} */
  fastKernels?: boolean;
  /** Which network. @default {"convnext"} */
  net?: BenchNet;
  /** Depthwise (convnext) or dense (plain) kernel extent, odd. @default {3} */
  kernelSize?: number;
  /** Batch size. @default {2} */
  batch?: number;
  /** Input D = H = W in voxels, divisible by 4. @default {32} */
  size?: number;
  /** Timed repetitions after one warm-up; the median is reported. @default {3} */
  repeats?: number;
  /** Also time every distinct op call alone (forward, and forward + backward). @default {true} */
  perOp?: boolean;
}

/** Timing of one distinct op call of the network. */
export interface OpTiming {
  /** The op. */
  readonly op: FlopOp;
  /** Input shape, NDHWC. */
  readonly xShape: readonly number[];
  /** Weight shape ([] for weightless ops). */
  readonly wShape: readonly number[];
  /** How many times the network calls it. */
  readonly calls: number;
  /** Median forward time, ms. */
  readonly forwardMs: number;
  /** Median backward time (forward + backward minus forward), ms. */
  readonly backwardMs: number;
  /** Forward GFLOP/s (0 for 0-FLOP ops). */
  readonly forwardGflops: number;
  /** Backward GFLOP/s (both gradients). */
  readonly backwardGflops: number;
}

/** What {@linkcode benchNn} measured. */
export interface BenchNnResult {
  /** The backend report of the run. */
  readonly backend: BackendReport;
  /** The settings used. */
  readonly settings: Required<Omit<BenchNnOptions, "backend" | "fastKernels" | "perOp">>;
  /** Median time of the network's forward pass, ms. */
  readonly forwardMs: number;
  /** Median time of one training step (forward, loss Σ y·r, variableGrads, Adam), ms. */
  readonly stepMs: number;
  /** FLOPs of one training step. */
  readonly stepFlops: number;
  /** stepFlops / stepMs, in GFLOP/s. */
  readonly stepGflops: number;
  /** Trainable parameters. */
  readonly parameters: number;
  /** Per distinct op call, if `perOp`. */
  readonly ops: readonly OpTiming[];
}

interface Call {
  op: FlopOp;
  x: number[];
  w: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Builds the network's variables and its apply function; `record` sees every op call. */
function buildNet(net: BenchNet, k: number, record: (c: Call) => void) {
  const widths = [8, 16, 32];
  let seed = 1;
  const params: Record<string, tf.Variable> = {};
  const add = (name: string, shape: number[], scale: number, offset = 0) => {
    params[name] = tf.tidy(() =>
      tf.variable(tf.add(tf.mul(tf.randomNormal(shape, 0, 1, "float32", seed++), scale), offset), true)
    );
  };
  const p = (name: string) => params[name];
  const rec = (op: FlopOp, x: tf.Tensor, w?: tf.Tensor) => record({ op, x: x.shape, w: w ? w.shape : [] });

  const convnextBlock = (name: string, c: number) => {
    add(`${name}/dw`, [k, k, k, c], 1 / Math.sqrt(k * k * k));
    add(`${name}/dw_b`, [c], 0);
    add(`${name}/g`, [c], 0.1, 1);
    add(`${name}/be`, [c], 0.1);
    add(`${name}/w1`, [c, 4 * c], 0.1);
    add(`${name}/b1`, [4 * c], 0);
    add(`${name}/w2`, [4 * c, c], 0.1);
    add(`${name}/b2`, [c], 0);
    add(`${name}/s`, [c], 0.05, 0.1);
  };
  const plainBlock = (name: string, cin: number, c: number) => {
    add(`${name}/w`, [k, k, k, cin, c], Math.sqrt(2 / (k * k * k * cin)));
    add(`${name}/b`, [c], 0);
    add(`${name}/g`, [c], 0.1, 1);
    add(`${name}/be`, [c], 0.1);
  };
  const applyConvnext = (x: tf.Tensor5D, name: string) => {
    rec("depthwiseConv3d", x, p(`${name}/dw`));
    let h = depthwiseConv3d(x, p(`${name}/dw`) as tf.Tensor4D, p(`${name}/dw_b`) as tf.Tensor1D);
    rec("layerNorm", h);
    h = layerNorm(h, p(`${name}/g`) as tf.Tensor1D, p(`${name}/be`) as tf.Tensor1D);
    rec("pointwise", h, p(`${name}/w1`));
    h = pointwise(h, p(`${name}/w1`) as tf.Tensor2D, p(`${name}/b1`) as tf.Tensor1D);
    rec("gelu", h);
    h = gelu(h);
    rec("pointwise", h, p(`${name}/w2`));
    h = pointwise(h, p(`${name}/w2`) as tf.Tensor2D, p(`${name}/b2`) as tf.Tensor1D);
    rec("addScaled", h);
    return addScaled(x, h, p(`${name}/s`) as tf.Tensor1D);
  };
  const applyPlain = (x: tf.Tensor5D, name: string) => {
    rec("conv3d", x, p(`${name}/w`));
    let h = conv3d(x, p(`${name}/w`) as tf.Tensor5D, p(`${name}/b`) as tf.Tensor1D);
    rec("layerNorm", h);
    h = layerNorm(h, p(`${name}/g`) as tf.Tensor1D, p(`${name}/be`) as tf.Tensor1D);
    rec("gelu", h);
    return gelu(h);
  };
  const level = (name: string, cin: number, c: number, x?: tf.Tensor5D): tf.Tensor5D | undefined => {
    if (net === "convnext") {
      if (!x) convnextBlock(name, c);
      return x && applyConvnext(x, name);
    }
    if (!x) {
      plainBlock(`${name}a`, cin, c);
      plainBlock(`${name}b`, c, c);
    }
    return x && applyPlain(applyPlain(x, `${name}a`), `${name}b`);
  };

  if (net === "convnext") add("stem/w", [3, 3, 3, 1, widths[0]], Math.sqrt(2 / 27));
  if (net === "convnext") add("stem/b", [widths[0]], 0);
  level("enc0", 1, widths[0]);
  add("down1/w", [8 * widths[0], widths[1]], 0.1);
  add("down1/b", [widths[1]], 0);
  level("enc1", widths[1], widths[1]);
  add("down2/w", [8 * widths[1], widths[2]], 0.1);
  add("down2/b", [widths[2]], 0);
  level("enc2", widths[2], widths[2]);
  add("up1/w", [widths[2], 8 * widths[1]], 0.1);
  add("up1/b", [widths[1]], 0);
  level("dec1", widths[1], widths[1]);
  add("up0/w", [widths[1], 8 * widths[0]], 0.1);
  add("up0/b", [widths[0]], 0);
  level("dec0", widths[0], widths[0]);
  add("head/w", [widths[0], 32], 0.1);
  add("head/b", [32], 0);

  const apply = (x: tf.Tensor5D): tf.Tensor5D => {
    let y = x;
    if (net === "convnext") {
      rec("conv3d", y, p("stem/w"));
      y = conv3d(y, p("stem/w") as tf.Tensor5D, p("stem/b") as tf.Tensor1D);
    }
    const s0 = y = level("enc0", 1, widths[0], y)!;
    rec("patchDown", y, p("down1/w"));
    y = patchDown(y, p("down1/w") as tf.Tensor2D, p("down1/b") as tf.Tensor1D);
    const s1 = y = level("enc1", widths[1], widths[1], y)!;
    rec("patchDown", y, p("down2/w"));
    y = patchDown(y, p("down2/w") as tf.Tensor2D, p("down2/b") as tf.Tensor1D);
    y = level("enc2", widths[2], widths[2], y)!;
    rec("patchUp", y, p("up1/w"));
    y = tf.add(patchUp(y, p("up1/w") as tf.Tensor2D, p("up1/b") as tf.Tensor1D), s1);
    y = level("dec1", widths[1], widths[1], y)!;
    rec("patchUp", y, p("up0/w"));
    y = tf.add(patchUp(y, p("up0/w") as tf.Tensor2D, p("up0/b") as tf.Tensor1D), s0);
    y = level("dec0", widths[0], widths[0], y)!;
    rec("pointwise", y, p("head/w"));
    return pointwise(y, p("head/w") as tf.Tensor2D, p("head/b") as tf.Tensor1D);
  };
  return { apply, variables: Object.values(params) };
}

function opFunction(op: FlopOp): (x: tf.Tensor, w: tf.Tensor) => tf.Tensor {
  switch (op) {
    case "conv3d":
      return (x, w) => conv3d(x as tf.Tensor5D, w as tf.Tensor5D);
    case "depthwiseConv3d":
      return (x, w) => depthwiseConv3d(x as tf.Tensor5D, w as tf.Tensor4D);
    case "pointwise":
      return (x, w) => pointwise(x as tf.Tensor5D, w as tf.Tensor2D);
    case "patchDown":
      return (x, w) => patchDown(x as tf.Tensor5D, w as tf.Tensor2D);
    case "patchUp":
      return (x, w) => patchUp(x as tf.Tensor5D, w as tf.Tensor2D);
    case "layerNorm":
      return (x, w) => layerNorm(x as tf.Tensor5D, w as tf.Tensor1D, w as tf.Tensor1D);
    case "gelu":
      return (x) => gelu(x);
    case "addScaled":
      return (x, w) => addScaled(x as tf.Tensor5D, x as tf.Tensor5D, w as tf.Tensor1D);
  }
}

/**
 * Times a training step of a small U-Net (and, optionally, each distinct op call) on one backend.
 *
 * @param options Backend, network, sizes, repetitions.
 * @returns Medians in ms, FLOP counts and GFLOP/s; the backend report says what ran.
 * @throws {RangeError} If `size` is not divisible by 4 or `kernelSize` is even.
 * @throws {BackendUnavailableError} If the backend cannot start.
 * @example
 * ```ts ignore
 * const r = await benchNn({ backend: "cpu", net: "plain" });
 * console.log(`${r.stepMs.toFixed(0)} ms/step, ${r.stepGflops.toFixed(1)} GFLOP/s`);
 * ```
 */
export async function benchNn(options: BenchNnOptions = {}): Promise<BenchNnResult> {
  const {
    backend = "cpu",
    fastKernels = true,
    net = "convnext",
    kernelSize = 3,
    batch = 2,
    size = 32,
    repeats = 3,
    perOp = true,
  } = options;
  if (size % 4 !== 0) throw new RangeError(`Cannot benchmark: size is ${size}: expected a multiple of 4`);
  if (kernelSize % 2 !== 1) throw new RangeError(`Cannot benchmark: kernelSize is ${kernelSize}: expected odd`);
  const report = await initBackend(backend, { fastKernels });
  const calls: Call[] = [];
  let recording = false;
  const model = buildNet(net, kernelSize, (c) => recording && calls.push(c));
  const x = tf.randomNormal([batch, size, size, size, 1], 0, 1, "float32", 99) as tf.Tensor5D;
  const r = tf.randomNormal([batch, size, size, size, 32], 0, 1, "float32", 98);
  const optimizer = tf.train.adam(1e-3);
  try {
    recording = true;
    tf.tidy(() => {
      model.apply(x);
    });
    recording = false;
    const stepFlops = calls.reduce((s, c) => {
      const f = flopsOf(c.op, c.x, c.w);
      return s + f.forward + f.inputGrad + f.weightGrad;
    }, 0) - flopsOf(calls[0].op, calls[0].x, calls[0].w).inputGrad;
    const sync = async (t: tf.Tensor) => {
      await t.data();
      t.dispose();
    };
    const forwardMs = await timeAsync(async () => await sync(tf.tidy(() => tf.sum(model.apply(x)))), repeats);
    const stepMs = await timeAsync(async () => {
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x), r)));
        optimizer.applyGradients(grads as Record<string, tf.Variable>);
        return value;
      });
      await sync(loss);
    }, repeats);
    const ops: OpTiming[] = [];
    if (perOp) {
      const seen = new Map<string, Call & { count: number }>();
      for (const c of calls) {
        const key = `${c.op}:${c.x}:${c.w}`;
        const entry = seen.get(key);
        if (entry) entry.count++;
        else seen.set(key, { ...c, count: 1 });
      }
      for (const c of seen.values()) {
        const f = opFunction(c.op);
        const xs = tf.randomNormal(c.x, 0, 1, "float32", 7);
        const ws = tf.mul(tf.randomNormal(c.w.length ? c.w : [c.x[4]], 0, 1, "float32", 8), 0.1);
        const dy = tf.tidy(() => tf.onesLike(f(xs, ws)));
        const grad = c.op === "gelu" ? tf.grads((a: tf.Tensor) => f(a, ws)) : tf.grads(f);
        const fwd = await timeAsync(async () => await sync(tf.tidy(() => tf.sum(f(xs, ws)))), repeats);
        const both = await timeAsync(async () => {
          const g = tf.tidy(() =>
            tf.addN((c.op === "gelu" ? grad([xs], dy) : grad([xs, ws], dy)).map((t) => tf.sum(t)))
          );
          await sync(g);
        }, repeats);
        tf.dispose([xs, ws, dy]);
        const fl = flopsOf(c.op, c.x, c.w);
        const bwd = Math.max(both - fwd, 1e-3);
        ops.push({
          op: c.op,
          xShape: c.x,
          wShape: c.w,
          calls: c.count,
          forwardMs: fwd,
          backwardMs: bwd,
          forwardGflops: fl.forward / fwd / 1e6,
          backwardGflops: (fl.inputGrad + fl.weightGrad) / bwd / 1e6,
        });
      }
    }
    return {
      backend: report,
      settings: { net, kernelSize, batch, size, repeats },
      forwardMs,
      stepMs,
      stepFlops,
      stepGflops: stepFlops / stepMs / 1e6,
      parameters: model.variables.reduce((s, v) => s + v.size, 0),
      ops,
    };
  } finally {
    optimizer.dispose();
    tf.dispose([x, r, ...model.variables]);
  }
}

async function timeAsync(fn: () => Promise<void>, repeats: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}
