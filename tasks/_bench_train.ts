/**
 * The `train` benchmark suite: seconds per training step and achieved GFLOP/s of the `tiny` descriptor config
 * (dense VICReg step: U-Net forward + backward on 2 crop pairs of 32³, projector, AdamW) on every backend available
 * here, next to the same network, batch, crops and pairs in PyTorch on the CPU (Debian's python3-torch, 2 threads),
 * measured in the same run, as a ratio.
 *
 * @module
 */
import { Rng } from "../src/data/mod.ts";
import { DenseModel, unetFlops } from "../src/models/mod.ts";
import { type BackendName, disposeBackend, initBackend, tf } from "../src/nn/mod.ts";
import { lossAndGradients, Projector, sampleBatch } from "../src/ssl/mod.ts";
import { AdamW } from "../src/train/mod.ts";
import { benchTrainingScan, median, PYTHON } from "./_bench_util.ts";

const BATCH = 2, CROP = 32, PAIRS = 256, PROJECTOR = 256;

/** The backend settings the train suite can time, as named by `--backends`. */
export const TRAIN_BACKENDS = ["cpu+fast", "cpu", "wasm", "webgpu"] as const;
/** One of {@linkcode TRAIN_BACKENDS}. */
export type TrainBackend = typeof TRAIN_BACKENDS[number];

/** One backend setting to time. */
export interface Setting {
  label: string;
  backend: Exclude<BackendName, "auto" | "tensorflow">;
  fastKernels: boolean;
  repeats: number;
}

/** How each of {@linkcode TRAIN_BACKENDS} is started and how many steps it gets (scaled by `--repeats`). */
export const SETTINGS: Record<TrainBackend, Setting> = {
  "cpu+fast": { label: "cpu + fast kernels (ONNX Runtime, fused JS)", backend: "cpu", fastKernels: true, repeats: 10 },
  cpu: { label: "cpu, stock tfjs kernels", backend: "cpu", fastKernels: false, repeats: 2 },
  wasm: { label: "wasm", backend: "wasm", fastKernels: false, repeats: 3 },
  // On a software adapter (lavapipe) a step takes ~14 s, hence one repeat; on a GPU the repeats scale up below.
  webgpu: { label: "webgpu", backend: "webgpu", fastKernels: false, repeats: 1 },
};

/** Options of the train suite. */
export interface BenchTrainOptions {
  /** Backends to time, in order. @default all of {@linkcode TRAIN_BACKENDS} */
  backends?: readonly TrainBackend[];
  /** Where PyTorch runs: 2 CPU threads, or the first CUDA GPU. @default {"cpu"} */
  torchDevice?: "cpu" | "cuda";
  /** Python interpreter with numpy and torch. @default Debian's /usr/bin/python3 */
  python?: string;
}

const PY_TRAIN = `
import sys, json, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2); torch.manual_seed(0)
views = torch.from_numpy(np.fromfile(sys.argv[1], dtype=np.float32))
pairs = np.fromfile(sys.argv[2], dtype=np.int32)
n, d = int(sys.argv[3]), int(sys.argv[4]); repeats = int(sys.argv[5])
x = views.reshape(n, d, d, d, 1).permute(0, 4, 1, 2, 3).contiguous()  # NDHWC -> NCDHW
k = len(pairs) // 2
ia, ib = torch.from_numpy(pairs[:k].astype(np.int64)), torch.from_numpy(pairs[k:].astype(np.int64))
dev = torch.device(sys.argv[7])
x, ia, ib = x.to(dev), ia.to(dev), ib.to(dev)
class LN(nn.Module):  # LayerNorm over channels of an NCDHW tensor
    def __init__(s, c): super().__init__(); s.ln = nn.LayerNorm(c, eps=1e-6)
    def forward(s, x): return s.ln(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)
class Block(nn.Module):
    def __init__(s, c, k=3, r=4):
        super().__init__(); s.dw = nn.Conv3d(c, c, k, padding=k // 2, groups=c); s.ln = nn.LayerNorm(c, eps=1e-6)
        s.pw1 = nn.Linear(c, r * c); s.pw2 = nn.Linear(r * c, c); s.scale = nn.Parameter(torch.full((c,), 0.1))
    def forward(s, x):
        h = s.dw(x).permute(0, 2, 3, 4, 1)
        h = s.pw2(F.gelu(s.pw1(s.ln(h)), approximate="tanh")) * s.scale
        return x + h.permute(0, 4, 1, 2, 3)
class UNet(nn.Module):  # the tiny config: widths 8/16/32, one block per level, additive skips
    def __init__(s, w=(8, 16, 32), out=32):
        super().__init__(); s.stem = nn.Conv3d(1, w[0], 3, padding=1)
        s.enc = nn.ModuleList([Block(c) for c in w])
        s.down = nn.ModuleList([nn.Sequential(LN(w[l - 1]), nn.Conv3d(w[l - 1], w[l], 2, stride=2)) for l in range(1, len(w))])
        s.up = nn.ModuleList([nn.ConvTranspose3d(w[l + 1], w[l], 2, stride=2) for l in range(len(w) - 1)])
        s.dec = nn.ModuleList([Block(w[l]) for l in range(len(w) - 1)])
        s.head_ln = nn.LayerNorm(w[0], eps=1e-6); s.head = nn.Linear(w[0], out)
    def forward(s, x):
        y = s.stem(x); skips = []
        for l in range(len(s.enc)):
            if l > 0: skips.append(y); y = s.down[l - 1](y)
            y = s.enc[l](y)
        for l in range(len(s.enc) - 2, -1, -1):
            y = s.dec[l](s.up[l](y) + skips[l])
        return s.head(s.head_ln(y.permute(0, 2, 3, 4, 1)))  # N D H W C
def projector(dim_in, p):
    return nn.Sequential(nn.Linear(dim_in, p), nn.LayerNorm(p, eps=1e-5), nn.GELU(approximate="tanh"),
                         nn.Linear(p, p), nn.LayerNorm(p, eps=1e-5), nn.GELU(approximate="tanh"), nn.Linear(p, p))
def vicreg(za, zb):
    inv = F.mse_loss(za, zb)
    def var(z): return F.relu(1 - torch.sqrt(z.var(dim=0) + 1e-4)).mean()
    def cov(z):
        zc = z - z.mean(0); c = zc.T @ zc / (z.shape[0] - 1); return (c.pow(2).sum() - c.diagonal().pow(2).sum()) / z.shape[1]
    return 25 * inv + 25 * (var(za) + var(zb)) / 2 + cov(za) + cov(zb)
net, proj = UNet().to(dev), projector(32, int(sys.argv[6])).to(dev)
opt = torch.optim.AdamW(list(net.parameters()) + list(proj.parameters()), lr=1e-3, eps=1e-3, weight_decay=1e-6)
def step():
    opt.zero_grad(set_to_none=True)
    f = net(x).reshape(-1, 32)
    loss = vicreg(proj(f[ia]), proj(f[ib]))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(net.parameters()) + list(proj.parameters()), 1.0)
    opt.step()
    return float(loss)  # waits for the GPU: its stream runs the optimizer update before this read
step()
times = []
for _ in range(repeats):
    t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
print(json.dumps({"seconds_per_step": float(np.median(times)), "torch": torch.__version__, "device": str(dev),
  "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
  "threads": torch.get_num_threads(), "parameters": sum(p.numel() for p in net.parameters())}))
`;

/**
 * Runs the train suite: seconds per step of each chosen backend (median of the repeats after one warm-up step) and
 * of the same step in PyTorch on `torchDevice`.
 */
export async function benchTrain(repeats: number, options: BenchTrainOptions = {}): Promise<Record<string, unknown>> {
  const { backends = TRAIN_BACKENDS, torchDevice = "cpu", python = PYTHON } = options;
  // One fixed batch from a phantom, shared by every backend and by PyTorch.
  const scan = benchTrainingScan();
  const batch = sampleBatch([scan], new Rng(1), {
    batchSize: BATCH,
    cropVox: [CROP, CROP, CROP],
    maxPairs: PAIRS,
  });
  const config = new DenseModel("descriptor", "tiny", new Rng(0)).unet.config;
  const flops = unetFlops(config, [2 * BATCH, CROP, CROP, CROP, 1]);
  const results: Record<string, unknown>[] = [];
  for (const s of backends.map((b) => SETTINGS[b])) {
    let report;
    try {
      report = await initBackend(s.backend, { fastKernels: s.fastKernels, softwareWebgpu: true });
    } catch (e) {
      results.push({ setting: s.label, available: false, reason: (e as Error).message });
      continue;
    }
    const model = new DenseModel("descriptor", "tiny", new Rng(0));
    const projector = new Projector(32, PROJECTOR, new Rng(1));
    const vars = [...model.variables, ...projector.variables];
    const opt = new AdamW(vars);
    const step = async () => {
      const st = await lossAndGradients(model, projector, batch, vars);
      const norm = opt.apply(st.grads, 1e-3);
      await norm.data(); // wait for the update to finish (GPU backends run asynchronously)
      norm.dispose();
      st.grads.forEach((g) => g.dispose());
      return st.total;
    };
    // A hardware GPU adapter is fast: time as many steps as the fast cpu path.
    const software = report.name === "webgpu" && /software|lavapipe|llvmpipe|swiftshader/i.test(report.reason);
    const base = report.name === "webgpu" && !software ? SETTINGS["cpu+fast"].repeats : s.repeats;
    const n = Math.max(1, Math.round(base * repeats / 3));
    const times: number[] = [];
    try {
      await step(); // warm-up: sessions, kernels, optimizer slots
      for (let r = 0; r < n; r++) {
        const t0 = performance.now();
        await step();
        times.push((performance.now() - t0) / 1000);
      }
    } catch (e) {
      results.push({ setting: s.label, available: true, backend: report.name, error: (e as Error).stack });
      console.error(`bench train: ${s.label}: failed: ${(e as Error).message}`);
      model.dispose();
      projector.dispose();
      opt.dispose();
      continue;
    }
    const sec = median(times);
    results.push({
      setting: s.label,
      available: true,
      backend: report.name,
      reason: report.reason,
      fastKernels: report.fastKernels,
      steps_timed: n,
      seconds_per_step: sec,
      unet_gflops_per_s: flops.trainStep / sec / 1e9,
    });
    console.error(`bench train: ${s.label}: ${sec.toFixed(3)} s/step`);
    model.dispose();
    projector.dispose();
    opt.dispose();
    tf.disposeVariables();
  }
  disposeBackend();
  // PyTorch on the same batch: views NDHWC float32 and the pair rows (A then B + B·V).
  const dir = await Deno.makeTempDir();
  const [b, d, h, w] = batch.viewShape;
  const v = d * h * w;
  const views = new Float32Array(2 * b * v);
  views.set(batch.viewA, 0);
  views.set(batch.viewB, b * v);
  const pairs = new Int32Array(2 * batch.pairCount);
  pairs.set(batch.pairsA, 0);
  for (let i = 0; i < batch.pairCount; i++) pairs[batch.pairCount + i] = batch.pairsB[i] + b * v;
  await Deno.writeFile(`${dir}/views.f32`, new Uint8Array(views.buffer));
  await Deno.writeFile(`${dir}/pairs.i32`, new Uint8Array(pairs.buffer));
  const py = await new Deno.Command(python, {
    args: [
      "-c",
      PY_TRAIN,
      `${dir}/views.f32`,
      `${dir}/pairs.i32`,
      String(2 * b),
      String(d),
      String(10),
      String(PROJECTOR),
      torchDevice,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { OMP_NUM_THREADS: "2", OPENBLAS_NUM_THREADS: "1" },
  }).output();
  await Deno.remove(dir, { recursive: true });
  let torch: Record<string, number | string> | { error: string };
  if (py.success) torch = JSON.parse(new TextDecoder().decode(py.stdout));
  else {torch = {
      error: `python3-torch failed or is missing (bash tasks/setup.sh bench): ${
        new TextDecoder().decode(py.stderr).slice(-400)
      }`,
    };}
  const torchSec = "seconds_per_step" in torch ? Number(torch.seconds_per_step) : NaN;
  for (const r of results) {
    if (r.available && Number.isFinite(torchSec)) r.ratio_vs_pytorch = (r.seconds_per_step as number) / torchSec;
  }
  return {
    config: "tiny descriptor (widths 8/16/32, ConvNeXt blocks, 27 k parameters)",
    batch: `${BATCH} crop pairs = ${
      2 * BATCH
    } crops of ${CROP}³, ${batch.pairCount} positive pairs, projector 32→${PROJECTOR}×3`,
    unet_train_step_gflop: flops.trainStep / 1e9,
    results,
    [`pytorch_${torchDevice}`]: { ...torch, unet_gflops_per_s: flops.trainStep / torchSec / 1e9 },
  };
}
