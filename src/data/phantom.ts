/**
 * Seeded synthetic CT phantoms of the torso with lesions and their ground-truth masks: the project's benchmark when no
 * labelled real data is at hand, and a fixture for tests.
 *
 * @module
 */
import { createVolume, type Vec3, type Volume } from "../io/mod.ts";
import { paintSlices } from "./_anatomy.ts";
import type { Grid } from "./_grid.ts";
import { DEFAULT_LESION_WEIGHTS, LESION_TYPES, type LesionInfo, type LesionType, placeLesions } from "./_lesions.ts";
import { addNoise, blur3d } from "./_noise.ts";
import { samplePatient } from "./_patient.ts";
import { paintTubes } from "./_tubes.ts";
import { Rng } from "./rng.ts";
import { TISSUE } from "./tissues.ts";

export {
  DEFAULT_LESION_WEIGHTS,
  LESION_TYPES,
  type LesionInfo,
  type LesionOrgan,
  type LesionType,
} from "./_lesions.ts";

/** Name and version of the generator, recorded in every sidecar; bump it when the same seed gives other images. */
export const PHANTOM_GENERATOR = "screener-kit phantom 1";

/** Options for {@linkcode generatePhantom}. Anatomy is defined in mm, so changing the grid resamples the same patient. */
export interface PhantomOptions {
  /** Voxels along i, j, k. @default {[256, 256, 160]} */
  shape?: Vec3;
  /** Voxel size along i, j, k in mm (the default field of view is 358 × 358 × 320 mm). @default {[1.4, 1.4, 2]} */
  spacingMm?: Vec3;
  /** Probability, in [0, 1], that the scan has any lesion. @default {0.8} */
  lesionRate?: number;
  /** Most lesions in one scan; a scan with lesions draws their number uniformly in 1..maxLesions. @default {4} */
  maxLesions?: number;
  /**
   * Relative frequency of each lesion type; missing types keep their default weight, 0 disables a type.
   * @default {DEFAULT_LESION_WEIGHTS} (solid 0.3, ground-glass 0.25, liver 0.3, kidney 0.15)
   */
  lesionWeights?: Partial<Record<LesionType, number>>;
  /** Largest patient offset from the world origin along x, y, z in mm. @default {[12, 10, 20]} */
  positionJitterMm?: Vec3;
}

/** What a phantom is made of, as written to its JSON sidecar. */
export interface PhantomInfo {
  /** {@linkcode PHANTOM_GENERATOR} at the time of generation. */
  generator: string;
  seed: number;
  shape: [number, number, number];
  spacingMm: [number, number, number];
  /** Row-major voxel-to-world (RAS+ mm) affine, as 4 rows. */
  affine: number[][];
  patient: {
    /** World mm of the patient's reference point (midline, AP centre of the body, top of the right diaphragm). */
    centerMm: [number, number, number];
    /** Body width (left–right) and depth (anterior–posterior) at the reference height, mm. */
    widthMm: number;
    depthMm: number;
    /** Lateral subcutaneous fat thickness, mm. */
    subcutaneousFatMm: number;
    /** Standard deviation of the added noise, HU; partial-volume blur σ, mm. */
    noiseStdHu: number;
    blurSigmaMm: number;
  };
  lesionRate: number;
  maxLesions: number;
  /** Relative frequency of each lesion type used. */
  lesionWeights: Record<LesionType, number>;
  /** Lesions actually placed (a lesion that did not fit its organ is dropped, so this may be shorter than drawn). */
  lesions: LesionInfo[];
}

/** A generated phantom: CT, lesion mask, body mask and tissue labels on one grid, plus its description. */
export interface Phantom {
  /** CT numbers in HU (int16), clipped to [−1024, 3071]. */
  ct: Volume<Int16Array>;
  /** Ground truth: 1 inside any lesion, else 0 (`unit` "label"). */
  lesions: Volume<Uint8Array>;
  /** True body outline: 1 inside the body (including lungs, airways and bowel gas), 0 in the air around it. */
  body: Volume<Uint8Array>;
  /** Tissue label of each voxel before blur and noise: an index into {@linkcode TISSUES}. Lesions are not in it. */
  tissue: Volume<Uint8Array>;
  info: PhantomInfo;
}

/**
 * Generates a CT-like torso phantom (chest and upper abdomen) with lesions, deterministically from `seed`.
 *
 * Anatomy is built in world mm (RAS+) and sampled at voxel centres: body wall (skin, subcutaneous fat, muscle),
 * lungs with branching vessel trees, airways, heart, aorta and vena cava, liver with vessels and gallbladder, spleen,
 * stomach, kidneys, bowel, vertebrae, ribs and sternum. Patient size, build, organ geometry, CT numbers, position,
 * noise and blur vary with the seed. Lesions (solid and ground-glass lung nodules, hypodense liver lesions, kidney
 * tumours) lie inside their organs; each is one 26-connected blob of the mask. Image formation: partial-volume
 * Gaussian blur, then correlated noise (in-plane Gaussian correlation, AR(1) across slices), rounded to int16.
 * The affine is diagonal and positive (RAS axis codes); the grid is centred on the world origin.
 *
 * Seeds give independent sub-streams for the patient, the tubes, the lesions and the noise, so the same seed with
 * `lesionRate: 0` gives the same patient without lesions.
 *
 * @param seed Any safe integer.
 * @param options Grid, lesion rate and lesion mix.
 * @returns CT, lesion mask, body mask, tissue labels and the sidecar description.
 * @throws {RangeError} If the seed is not a safe integer or an option is out of range.
 * @example Small phantom
 * ```ts ignore
 * const { ct, lesions, info } = generatePhantom(7, { shape: [96, 96, 48], spacingMm: [3.75, 3.75, 6.5] });
 * console.log(info.lesions.map((l) => `${l.type} ${l.radiusMm} mm`));
 * ```
 */
export function generatePhantom(seed: number, options: PhantomOptions = {}): Phantom {
  const {
    shape = [256, 256, 160],
    spacingMm = [1.4, 1.4, 2],
    lesionRate = 0.8,
    maxLesions = 4,
    lesionWeights = {},
    positionJitterMm = [12, 10, 20],
  } = options;
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Cannot generate phantom with seed ${seed}: expected a safe integer`);
  }
  if (shape.length !== 3 || shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`Cannot generate phantom with shape [${shape.join(", ")}]: expected 3 positive integers`);
  }
  if (spacingMm.length !== 3 || spacingMm.some((s) => !(s > 0 && Number.isFinite(s)))) {
    throw new RangeError(
      `Cannot generate phantom with spacingMm [${spacingMm.join(", ")}]: expected 3 positive numbers`,
    );
  }
  if (!(lesionRate >= 0 && lesionRate <= 1)) {
    throw new RangeError(`Cannot generate phantom with lesionRate ${lesionRate}: expected a number in [0, 1]`);
  }
  if (!Number.isInteger(maxLesions) || maxLesions < 1 || maxLesions > 255) {
    throw new RangeError(`Cannot generate phantom with maxLesions ${maxLesions}: expected an integer in [1, 255]`);
  }
  if (positionJitterMm.length !== 3 || positionJitterMm.some((s) => !(s >= 0 && Number.isFinite(s)))) {
    throw new RangeError(
      `Cannot generate phantom with positionJitterMm [${positionJitterMm.join(", ")}]: expected 3 numbers >= 0`,
    );
  }
  const weights = LESION_TYPES.map((t) => lesionWeights[t] ?? DEFAULT_LESION_WEIGHTS[t]);
  if (weights.some((w) => !(w >= 0 && Number.isFinite(w))) || !(weights.reduce((a, b) => a + b, 0) > 0)) {
    throw new RangeError(
      `Cannot generate phantom with lesionWeights [${weights.join(", ")}]: expected non-negative numbers, not all 0`,
    );
  }

  const [ni, nj, nk] = shape;
  const [sx, sy, sz] = spacingMm;
  const g: Grid = {
    ni,
    nj,
    nk,
    sx,
    sy,
    sz,
    ox: -0.5 * (ni - 1) * sx,
    oy: -0.5 * (nj - 1) * sy,
    oz: -0.5 * (nk - 1) * sz,
  };
  const affine = [sx, 0, 0, g.ox, 0, sy, 0, g.oy, 0, 0, sz, g.oz, 0, 0, 0, 1];
  const root = new Rng(seed);
  const patient = samplePatient(root.fork("patient"), positionJitterMm);
  const n = ni * nj * nk;

  const tissue = new Uint8Array(n);
  paintSlices(tissue, g, patient);
  paintTubes(tissue, g, patient, root.fork("tubes"));

  // Clean CT numbers from labels; lung density rises towards the back (gravity).
  const hu = new Float32Array(n);
  const rowLungOffset = new Float32Array(nj);
  const depth = patient.body.bAnt + patient.body.bPost;
  for (let j = 0; j < nj; j++) {
    rowLungOffset[j] = -patient.lungGradientHu * ((g.oy + j * sy - patient.center[1]) / depth);
  }
  const lung = TISSUE.lung;
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      const row = ni * (j + nj * k);
      const lungHu = patient.hu[lung] + rowLungOffset[j];
      for (let i = row; i < row + ni; i++) {
        const l = tissue[i];
        hu[i] = l === lung ? lungHu : patient.hu[l];
      }
    }
  }

  // Lesions.
  const lesionRng = root.fork("lesions");
  const hasLesions = lesionRng.next() < lesionRate;
  const lesionMask = new Uint8Array(n);
  const lesions = hasLesions
    ? placeLesions(tissue, hu, lesionMask, g, patient, lesionRng, lesionRng.int(1, maxLesions + 1), weights)
    : [];

  // Image formation.
  const blurMm = patient.blurSigmaMm;
  blur3d(hu, shape, [
    Math.max(blurMm, 0.5 * sx) / sx,
    Math.max(blurMm, 0.5 * sy) / sy,
    Math.max(blurMm, 0.5 * sz) / sz,
  ]);
  const ct = new Int16Array(n);
  addNoise(hu, ct, shape, {
    stdHu: patient.noiseStdHu,
    sigmaVox: [patient.noiseSigmaMm / sx, patient.noiseSigmaMm / sy],
    rho: patient.noiseRho,
    seed: root.fork("noise").seed,
    minHu: -1024,
    maxHu: 3071,
  });

  // Lesion statistics on the final image; lesion ids become a 0/1 mask; body mask from labels.
  const sums = new Float64Array(lesions.length + 1);
  const body = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    body[i] = tissue[i] === 0 ? 0 : 1;
    const id = lesionMask[i];
    if (id !== 0) {
      sums[id] += ct[i];
      lesionMask[i] = 1;
    }
  }
  for (const l of lesions) l.meanHu = Math.round((sums[l.id] / l.voxelCount) * 10) / 10;

  const info: PhantomInfo = {
    generator: PHANTOM_GENERATOR,
    seed,
    shape: [ni, nj, nk],
    spacingMm: [sx, sy, sz],
    affine: [0, 1, 2, 3].map((r) => affine.slice(4 * r, 4 * r + 4)),
    patient: {
      centerMm: patient.center.map((v) => Math.round(v * 100) / 100) as [number, number, number],
      widthMm: Math.round(2 * patient.body.a * 10) / 10,
      depthMm: Math.round(depth * 10) / 10,
      subcutaneousFatMm: Math.round(patient.fatLatMm * 10) / 10,
      noiseStdHu: Math.round(patient.noiseStdHu * 10) / 10,
      blurSigmaMm: Math.round(patient.blurSigmaMm * 100) / 100,
    },
    lesionRate,
    maxLesions,
    lesionWeights: Object.fromEntries(LESION_TYPES.map((t, n) => [t, weights[n]])) as Record<LesionType, number>,
    lesions,
  };
  return {
    ct: createVolume(ct, shape, affine, "HU"),
    lesions: createVolume(lesionMask, shape, affine, "label"),
    body: createVolume(body, shape, affine, "label"),
    tissue: createVolume(tissue, shape, affine, "label"),
    info,
  };
}
