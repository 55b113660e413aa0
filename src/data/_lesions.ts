/**
 * Private: lesion placement and rasterisation. Each lesion is a lobulated ball (radius modulated by low-order
 * spherical harmonics), placed so that it lies inside its organ, clipped to the organ, kept as one 26-connected blob,
 * and written both into the lesion-id map and into the clean HU volume.
 *
 * @module
 */
import { type Grid, labelAt, labelsMask } from "./_grid.ts";
import type { Patient } from "./_patient.ts";
import type { Rng } from "./rng.ts";
import { TISSUE as T } from "./tissues.ts";

/** Kinds of synthetic lesion. */
export const LESION_TYPES = ["solid_nodule", "ggo_nodule", "liver_lesion", "kidney_tumor"] as const;
/** One of {@linkcode LESION_TYPES}. */
export type LesionType = typeof LESION_TYPES[number];

/** Organ a lesion lies in. */
export type LesionOrgan = "lung" | "liver" | "kidney";

/** One lesion of a phantom, as written to the JSON sidecar. */
export interface LesionInfo {
  /** 1-based index within the phantom (the mask itself is 0/1). */
  id: number;
  type: LesionType;
  organ: LesionOrgan;
  /** Patient side: "right" is +x in RAS+. */
  side: "right" | "left";
  /** Centre in world RAS+ mm; always a voxel centre inside the lesion's blob. */
  centerMm: [number, number, number];
  /** Centre as voxel index (i, j, k). */
  centerVoxel: [number, number, number];
  /** Nominal radius in mm before lobulation (the surface is at `radiusMm·(1 + lobulation·f(direction))`, |f| ≤ 1). */
  radiusMm: number;
  /** Relative amplitude of the lobulation. */
  lobulation: number;
  /** CT number the lesion was drawn with, HU (before partial-volume blur and noise). */
  targetHu: number;
  /** Mean CT number of the lesion's voxels in the final image, HU. */
  meanHu: number;
  /** Voxels in the lesion's blob of the mask. */
  voxelCount: number;
  /** `voxelCount` times the voxel volume, mm³. */
  volumeMm3: number;
}

/** Relative frequency of each lesion type when a phantom draws its lesions. */
export const DEFAULT_LESION_WEIGHTS: Readonly<Record<LesionType, number>> = Object.freeze({
  solid_nodule: 0.3,
  ggo_nodule: 0.25,
  liver_lesion: 0.3,
  kidney_tumor: 0.15,
});

const ORGAN_OF: Record<LesionType, LesionOrgan> = {
  solid_nodule: "lung",
  ggo_nodule: "lung",
  liver_lesion: "liver",
  kidney_tumor: "kidney",
};
const ORGAN_LABELS: Record<LesionOrgan, number> = {
  lung: labelsMask(T.lung, T.lung_vessel),
  liver: labelsMask(T.liver, T.liver_vessel),
  kidney: labelsMask(T.kidney, T.renal_sinus),
};

const DIRECTIONS = fibonacciSphere(64);

/**
 * Draws and paints `count` lesions (fewer if some do not fit their organ). `lesionId` receives the 1-based lesion
 * index, `hu` the lesion's CT numbers; `meanHu` is left at NaN for the caller to measure on the final image.
 */
export function placeLesions(
  tissue: Uint8Array,
  hu: Float32Array,
  lesionId: Uint8Array,
  g: Grid,
  p: Patient,
  rng: Rng,
  count: number,
  weights: readonly number[],
): LesionInfo[] {
  const placed: LesionInfo[] = [];
  const reach: number[] = [];
  const maxSpacing = Math.max(g.sx, g.sy, g.sz);
  for (let n = 0; n < count; n++) {
    const type = LESION_TYPES[rng.weighted(weights)];
    const organ = ORGAN_OF[type];
    const allow = ORGAN_LABELS[organ];
    const shape = drawShape(type, p, rng);
    let center: [number, number, number] | null = null;
    let outer = 0;
    for (let attempt = 0; attempt < 90 && center === null; attempt++) {
      if (attempt > 0 && attempt % 15 === 0) shape.radiusMm = Math.max(shape.minRadiusMm, shape.radiusMm * 0.8);
      const c = randomVoxelIn(tissue, g, allow, rng);
      if (c === null) break;
      outer = shape.radiusMm * (1 + shape.lobulation) + 0.5 * maxSpacing;
      if (!fits(tissue, g, c, outer, allow)) continue;
      let clear = true;
      for (let m = 0; m < placed.length && clear; m++) {
        const q = placed[m].centerMm;
        clear = Math.hypot(q[0] - c[0], q[1] - c[1], q[2] - c[2]) > outer + reach[m] + 2 * maxSpacing;
      }
      if (clear) center = c;
    }
    if (center === null) continue;
    const id = placed.length + 1;
    const voxelCount = paintLesion(tissue, hu, lesionId, g, center, shape, allow, id);
    const ci: [number, number, number] = [
      Math.round((center[0] - g.ox) / g.sx),
      Math.round((center[1] - g.oy) / g.sy),
      Math.round((center[2] - g.oz) / g.sz),
    ];
    placed.push({
      id,
      type,
      organ,
      side: center[0] >= p.center[0] ? "right" : "left",
      centerMm: [round3(center[0]), round3(center[1]), round3(center[2])],
      centerVoxel: ci,
      radiusMm: round3(shape.radiusMm),
      lobulation: round3(shape.lobulation),
      targetHu: round3(shape.targetHu),
      meanHu: NaN,
      voxelCount,
      volumeMm3: round3(voxelCount * g.sx * g.sy * g.sz),
    });
    reach.push(outer);
  }
  return placed;
}

interface Shape {
  type: LesionType;
  radiusMm: number;
  minRadiusMm: number;
  lobulation: number;
  /** Coefficients of the 12 real harmonics of degree 2 and 3, scaled so that max |f| = 1 over the sphere. */
  coef: Float64Array;
  targetHu: number;
  /** GGO: extra density at the centre; kidney: necrotic drop at the centre. */
  coreHu: number;
  /** Clean CT number of the organ, for soft margins. */
  organHu: number;
}

function drawShape(type: LesionType, p: Patient, rng: Rng): Shape {
  const coef = new Float64Array(12);
  for (let m = 0; m < 12; m++) coef[m] = rng.normal();
  let maxF = 0;
  for (const d of DIRECTIONS) maxF = Math.max(maxF, Math.abs(harmonics(coef, d[0], d[1], d[2])));
  for (let m = 0; m < 12; m++) coef[m] /= maxF || 1;
  const s: Shape = { type, radiusMm: 0, minRadiusMm: 3, lobulation: 0, coef, targetHu: 0, coreHu: 0, organHu: 0 };
  switch (type) {
    case "solid_nodule":
      s.radiusMm = rng.logUniform(3, 15);
      s.lobulation = rng.uniform(0.1, 0.3);
      s.targetHu = rng.uniform(0, 60);
      break;
    case "ggo_nodule":
      s.radiusMm = rng.logUniform(4, 15);
      s.minRadiusMm = 4;
      s.lobulation = rng.uniform(0.1, 0.25);
      s.targetHu = rng.uniform(-650, -300);
      s.coreHu = rng.uniform(0, 120);
      break;
    case "liver_lesion":
      s.organHu = p.hu[T.liver];
      s.radiusMm = rng.logUniform(5, 30);
      s.minRadiusMm = 5;
      s.lobulation = rng.uniform(0.03, 0.15);
      s.targetHu = s.organHu - rng.uniform(15, 50);
      break;
    case "kidney_tumor":
      s.organHu = p.hu[T.kidney];
      s.radiusMm = rng.logUniform(6, 22);
      s.minRadiusMm = 5;
      s.lobulation = rng.uniform(0.05, 0.2);
      s.targetHu = s.organHu + (rng.bool() ? 1 : -1) * rng.uniform(12, 35);
      s.coreHu = s.radiusMm > 14 ? rng.uniform(10, 25) : 0;
      break;
  }
  return s;
}

/**
 * Writes one lesion; returns its voxel count. Voxels inside the lobulated surface and in the organ form the lesion;
 * any part not 26-connected to the centre voxel is dropped so that the mask holds exactly one blob per lesion.
 */
function paintLesion(
  tissue: Uint8Array,
  hu: Float32Array,
  lesionId: Uint8Array,
  g: Grid,
  c: readonly number[],
  s: Shape,
  allow: number,
  id: number,
): number {
  const R = s.radiusMm * (1 + s.lobulation);
  const i0 = Math.max(0, Math.floor((c[0] - R - g.ox) / g.sx)),
    i1 = Math.min(g.ni - 1, Math.ceil((c[0] + R - g.ox) / g.sx));
  const j0 = Math.max(0, Math.floor((c[1] - R - g.oy) / g.sy)),
    j1 = Math.min(g.nj - 1, Math.ceil((c[1] + R - g.oy) / g.sy));
  const k0 = Math.max(0, Math.floor((c[2] - R - g.oz) / g.sz)),
    k1 = Math.min(g.nk - 1, Math.ceil((c[2] + R - g.oz) / g.sz));
  const bi = i1 - i0 + 1, bj = j1 - j0 + 1, bk = k1 - k0 + 1;
  const t = new Float32Array(bi * bj * bk).fill(-1); // normalised radius inside the lesion, −1 outside
  for (let k = k0; k <= k1; k++) {
    const dz = g.oz + k * g.sz - c[2];
    for (let j = j0; j <= j1; j++) {
      const dy = g.oy + j * g.sy - c[1];
      for (let i = i0; i <= i1; i++) {
        const n = i + g.ni * (j + g.nj * k);
        if (!((allow >>> tissue[n]) & 1)) continue;
        const dx = g.ox + i * g.sx - c[0];
        const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
        const r = d > 0 ? s.radiusMm * (1 + s.lobulation * harmonics(s.coef, dx / d, dy / d, dz / d)) : 1;
        if (d <= r) t[(i - i0) + bi * ((j - j0) + bj * (k - k0))] = d / r;
      }
    }
  }
  // Keep the 26-connected component of the centre voxel.
  const ci = Math.round((c[0] - g.ox) / g.sx) - i0, cj = Math.round((c[1] - g.oy) / g.sy) - j0;
  const ck = Math.round((c[2] - g.oz) / g.sz) - k0;
  const keep = new Uint8Array(t.length);
  const stack = [ci + bi * (cj + bj * ck)];
  keep[stack[0]] = 1;
  while (stack.length > 0) {
    const q = stack.pop()!;
    const qi = q % bi, qj = Math.floor(q / bi) % bj, qk = Math.floor(q / (bi * bj));
    for (let dk = -1; dk <= 1; dk++) {
      const nk = qk + dk;
      if (nk < 0 || nk >= bk) continue;
      for (let dj = -1; dj <= 1; dj++) {
        const nj = qj + dj;
        if (nj < 0 || nj >= bj) continue;
        for (let di = -1; di <= 1; di++) {
          const ni = qi + di;
          if (ni < 0 || ni >= bi) continue;
          const m = ni + bi * (nj + bj * nk);
          if (keep[m] === 0 && t[m] >= 0) {
            keep[m] = 1;
            stack.push(m);
          }
        }
      }
    }
  }
  let count = 0;
  for (let k = 0; k < bk; k++) {
    for (let j = 0; j < bj; j++) {
      for (let i = 0; i < bi; i++) {
        const m = i + bi * (j + bj * k);
        if (keep[m] === 0) continue;
        const n = (i + i0) + g.ni * ((j + j0) + g.nj * (k + k0));
        const tt = t[m];
        lesionId[n] = id;
        count++;
        hu[n] = lesionHu(s, tt, hu[n]);
      }
    }
  }
  return count;
}

/** CT number of a lesion voxel at normalised radius `t` over clean tissue value `under`. */
function lesionHu(s: Shape, t: number, under: number): number {
  switch (s.type) {
    case "solid_nodule":
      return s.targetHu;
    case "ggo_nodule":
      // Hazy density with a denser centre; vessels crossing the lesion stay visible.
      return Math.max(under, s.targetHu + s.coreHu * (1 - t * t));
    case "liver_lesion": {
      // Ill-defined margin: the outer quarter fades towards the liver.
      const e = t < 0.75 ? 0 : (t - 0.75) / 0.25;
      return s.targetHu + 0.5 * (s.organHu - s.targetHu) * e * e * (3 - 2 * e);
    }
    case "kidney_tumor":
      return t < 0.45 ? s.targetHu - s.coreHu : s.targetHu;
  }
}

/** A random voxel centre (world mm) whose label is in `allow`, or null if none is found. */
function randomVoxelIn(tissue: Uint8Array, g: Grid, allow: number, rng: Rng): [number, number, number] | null {
  for (let tries = 0; tries < 200000; tries++) {
    const n = rng.int(0, tissue.length);
    if ((allow >>> tissue[n]) & 1) {
      const i = n % g.ni, j = Math.floor(n / g.ni) % g.nj, k = Math.floor(n / (g.ni * g.nj));
      return [g.ox + i * g.sx, g.oy + j * g.sy, g.oz + k * g.sz];
    }
  }
  return null;
}

/** Whether a ball of radius `r` around `c` lies in the organ (tested on two shells of directions). */
function fits(tissue: Uint8Array, g: Grid, c: readonly number[], r: number, allow: number): boolean {
  for (const f of [1, 0.55]) {
    for (const d of DIRECTIONS) {
      const l = labelAt(tissue, g, c[0] + f * r * d[0], c[1] + f * r * d[1], c[2] + f * r * d[2]);
      if (!((allow >>> l) & 1)) return false;
    }
  }
  return true;
}

/** Real spherical harmonics of degree 2 and 3 (unnormalised), combined with `coef`, at unit vector (x, y, z). */
function harmonics(coef: Float64Array, x: number, y: number, z: number): number {
  const xx = x * x, yy = y * y, zz = z * z;
  return coef[0] * x * y + coef[1] * y * z + coef[2] * z * x + coef[3] * (xx - yy) + coef[4] * (3 * zz - 1) +
    coef[5] * x * (xx - 3 * yy) + coef[6] * y * (3 * xx - yy) + coef[7] * z * (xx - yy) + coef[8] * x * y * z +
    coef[9] * x * (5 * zz - 1) + coef[10] * y * (5 * zz - 1) + coef[11] * z * (5 * zz - 3);
}

function fibonacciSphere(n: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let m = 0; m < n; m++) {
    const z = 1 - (2 * m + 1) / n;
    const r = Math.sqrt(1 - z * z);
    out.push([r * Math.cos(golden * m), r * Math.sin(golden * m), z]);
  }
  return out;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
