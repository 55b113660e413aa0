/**
 * Private: the random parameters of one synthetic patient (size, shape, position, organ geometry, CT numbers, image
 * quality), drawn from a seed. Lengths are mm; positions are relative to the patient's reference point
 * (`center`: x on the midline, y at the body's AP centre, z at the top of the right hemidiaphragm, which sits about
 * 15 mm below the world origin so that the field of view holds more chest than abdomen), RAS+.
 *
 * @module
 */
import type { Rng } from "./rng.ts";
import { TISSUE_HU, TISSUES } from "./tissues.ts";

/** Axis-aligned ellipsoid, centre relative to the patient reference, semi-axes along x, y, z. */
export interface Ellipsoid {
  cx: number;
  cy: number;
  cz: number;
  a: number;
  b: number;
  c: number;
}

/** Cross-section of the body or of one of its layers at one height: a superellipse. */
export interface Outline {
  /** Semi-axis along x (left–right). */
  a: number;
  /** Semi-axis towards anterior (+y). */
  bAnt: number;
  /** Semi-axis towards posterior (−y). */
  bPost: number;
}

/** All the random choices that make one patient; see the module doc for frames. */
export interface Patient {
  /** World mm of the reference point. */
  center: [number, number, number];
  body: Outline;
  /** Superellipse exponent of the body outline (2 = ellipse, larger = boxier). */
  bodyP: number;
  /** Relative change of the body's width along z (amplitude) and its phase. */
  bodyWave: number;
  bodyPhase: number;
  /** Extra anterior growth of the abdomen below the diaphragm, as a fraction of `body.bAnt`. */
  belly: number;
  skinMm: number;
  fatLatMm: number;
  fatAntMm: number;
  fatPostMm: number;
  muscleMm: number;
  /** Height of the lung apices above the reference. */
  apexZ: number;
  /** Lowest extent of the lungs (posterior recesses); negative. */
  lungBottomZ: number;
  /** Top of the left hemidiaphragm (≤ 0, the right one is at 0). */
  leftDomeZ: number;
  /** Half-width of the mediastinum between the lungs. */
  mediastinumMm: number;
  heart: Ellipsoid;
  carinaZ: number;
  tracheaMm: number;
  /** Vertebral body radius in the thorax and its growth towards the lumbar spine. */
  vertebraMm: number;
  vertebraGainMm: number;
  /** Distance from the start of the back muscles (behind the subcutaneous fat) to the spinal canal centre. */
  canalDepthMm: number;
  canalMm: number;
  /** Vertebra period along z (body + disc), disc height and phase. */
  vertebraPeriodMm: number;
  discMm: number;
  vertebraPhaseMm: number;
  /** How far each rib descends from its posterior to its anterior end, and its half-height. */
  ribDropMm: number;
  ribHalfMm: number;
  /** Depth of the liver's lowest point below the reference (positive). */
  liverDepthMm: number;
  liverWidth: number;
  spleen: Ellipsoid;
  stomach: Ellipsoid;
  /** y (relative) of the stomach's air–fluid level; gas lies anterior of it (supine patient). */
  stomachGasY: number;
  kidneys: [Ellipsoid, Ellipsoid];
  gallbladder: Ellipsoid | null;
  /** Base CT number of each tissue label in HU (index = label). */
  hu: Float32Array;
  /** Lung density increase from anterior to posterior (gravity), HU across the chest. */
  lungGradientHu: number;
  /** Noise standard deviation in HU, its in-plane correlation (Gaussian sigma, mm) and slice-to-slice correlation. */
  noiseStdHu: number;
  noiseSigmaMm: number;
  noiseRho: number;
  /** Partial-volume blur (Gaussian sigma, mm). */
  blurSigmaMm: number;
}

/**
 * Draws one patient.
 *
 * @param rng The patient's own stream.
 * @param offsetMm Largest patient position offset from the world origin along x, y, z.
 */
export function samplePatient(rng: Rng, offsetMm: readonly [number, number, number]): Patient {
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  const size = u(0.9, 1.06); // overall build
  const obesity = rng.next();
  const body: Outline = { a: u(136, 155) * size, bAnt: u(102, 122) * size, bPost: u(98, 112) * size };
  const patient: Patient = {
    center: [u(-1, 1) * offsetMm[0], u(-1, 1) * offsetMm[1], -15 + u(-1, 1) * offsetMm[2]],
    body,
    bodyP: u(2.1, 2.7),
    bodyWave: u(0.02, 0.06),
    bodyPhase: u(0, 2 * Math.PI),
    belly: u(0, 0.12) * (0.5 + obesity),
    skinMm: u(1.5, 2.5),
    fatLatMm: 6 + 28 * obesity * u(0.7, 1.1),
    fatAntMm: 5 + 22 * obesity * u(0.7, 1.1),
    fatPostMm: 4 + 14 * obesity * u(0.7, 1.1),
    muscleMm: u(8, 14),
    apexZ: u(165, 200) * size,
    lungBottomZ: -u(60, 80),
    leftDomeZ: -u(6, 22),
    mediastinumMm: u(17, 26),
    heart: { cx: -u(15, 30), cy: 0, cz: u(38, 55), a: u(50, 62) * size, b: u(42, 52) * size, c: u(52, 64) * size },
    carinaZ: u(85, 110),
    tracheaMm: u(8, 10.5),
    vertebraMm: u(14, 17),
    vertebraGainMm: u(4, 8),
    canalDepthMm: u(38, 50),
    canalMm: u(6.5, 8),
    vertebraPeriodMm: u(24, 30),
    discMm: u(5, 8),
    vertebraPhaseMm: u(0, 30),
    ribDropMm: u(55, 85),
    ribHalfMm: u(4, 5.5),
    liverDepthMm: u(130, 175),
    liverWidth: u(0.72, 0.84),
    spleen: { cx: 0, cy: 0, cz: -u(35, 60), a: u(20, 28), b: u(40, 55), c: u(45, 60) },
    stomach: { cx: 0, cy: 0, cz: -u(25, 45), a: u(32, 45), b: u(28, 40), c: u(40, 55) },
    stomachGasY: 0,
    kidneys: [
      { cx: 0, cy: 0, cz: -u(90, 110), a: u(24, 30), b: u(17, 22), c: u(48, 60) },
      { cx: 0, cy: 0, cz: -u(78, 95), a: u(24, 30), b: u(17, 22), c: u(48, 60) },
    ],
    gallbladder: null,
    hu: new Float32Array(TISSUES.length),
    lungGradientHu: u(15, 45),
    noiseStdHu: u(10, 25),
    noiseSigmaMm: u(0.6, 1.1),
    noiseRho: u(0.1, 0.4),
    blurSigmaMm: u(0.6, 1.0),
  };
  // Organ placement that depends on the body cross-section where the organ sits.
  const p = patient;
  p.heart.cy = cavityAt(p, p.heart.cz).bAnt - p.heart.b - u(3, 12);
  const cSpleen = cavityAt(p, p.spleen.cz);
  p.spleen.cx = -(cSpleen.a - p.spleen.a - u(2, 10));
  p.spleen.cy = -0.25 * cSpleen.bPost;
  p.spleen.cz += p.leftDomeZ;
  const cStomach = cavityAt(p, p.stomach.cz);
  p.stomach.cx = -Math.min(0.35 * cStomach.a, cStomach.a - p.stomach.a - 5);
  p.stomach.cy = Math.min(0.3 * cStomach.bAnt, cStomach.bAnt - p.stomach.b - 5);
  p.stomach.cz += p.leftDomeZ;
  p.stomachGasY = p.stomach.cy + u(0.15, 0.7) * p.stomach.b;
  for (let s = 0; s < 2; s++) {
    const kidney = p.kidneys[s];
    const zr = kidney.cz;
    const side = s === 0 ? 1 : -1; // 0: right (+x), 1: left
    kidney.cx = side * (vertebraRadius(p, zr) + kidney.a + u(14, 26));
    kidney.cy = spineY(p, zr).body + u(-4, 6);
  }
  if (rng.bool(0.85)) {
    const cz = -u(60, 85);
    const c = cavityAt(p, cz);
    p.gallbladder = { cx: u(0.12, 0.3) * c.a, cy: u(0.3, 0.45) * c.bAnt, cz, a: u(11, 16), b: u(11, 16), c: u(22, 32) };
  }
  // CT numbers: a per-patient calibration offset plus per-tissue jitter.
  const offset = u(-4, 4);
  for (let label = 0; label < TISSUES.length; label++) {
    const name = TISSUES[label];
    const base = TISSUE_HU[name];
    let jitter = u(-4, 4) + offset;
    if (name === "air") jitter = 0;
    else if (name === "lung") jitter = u(-25, 25);
    else if (name === "airway" || name === "gas") jitter = u(-15, 15);
    else if (name.endsWith("fat")) jitter = u(-8, 8);
    else if (name.startsWith("bone")) jitter = u(-80, 80);
    p.hu[label] = base + jitter;
  }
  return patient;
}

/** Body outline at height zr (relative to the reference). */
export function bodyAt(p: Patient, zr: number): Outline {
  const wave = 1 + p.bodyWave * Math.sin(zr / 90 + p.bodyPhase);
  const shoulders = zr > 110 ? 1 + 0.06 * Math.min(1, (zr - 110) / 80) : 1;
  const belly = 1 + p.belly * clamp01(-zr / 150);
  return { a: p.body.a * wave * shoulders, bAnt: p.body.bAnt * wave * belly, bPost: p.body.bPost * wave };
}

/** Outline of the inner boundary of the body wall (skin, fat and muscle removed). */
export function cavityAt(p: Patient, zr: number): Outline {
  const b = bodyAt(p, zr);
  const wall = p.skinMm + p.muscleMm;
  return {
    a: Math.max(10, b.a - wall - p.fatLatMm),
    bAnt: Math.max(10, b.bAnt - wall - p.fatAntMm),
    bPost: Math.max(10, b.bPost - wall - p.fatPostMm),
  };
}

/** Vertebral body radius at height zr: larger towards the lumbar spine. */
export function vertebraRadius(p: Patient, zr: number): number {
  return p.vertebraMm + p.vertebraGainMm * clamp01((60 - zr) / 200);
}

/** y (relative) of the spinal canal centre and the vertebral body centre at height zr. */
export function spineY(p: Patient, zr: number): { canal: number; body: number } {
  const b = bodyAt(p, zr);
  const canal = -b.bPost + p.skinMm + p.fatPostMm + p.canalDepthMm;
  return { canal, body: canal + p.canalMm + 1.5 + vertebraRadius(p, zr) };
}

/** Clamps to [0, 1]. */
export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
