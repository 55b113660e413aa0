/**
 * Private: paints a patient's anatomy as tissue labels, slice by slice (2D superellipses whose size and position vary
 * with z), in a fixed order where each structure may only cover the labels listed in its `allow` set.
 *
 * @module
 */
import { ANY, type Grid, labelsMask, SlicePainter } from "./_grid.ts";
import { bodyAt, cavityAt, clamp01, type Patient, spineY, vertebraRadius } from "./_patient.ts";
import { TISSUE as T } from "./tissues.ts";

const FAT_OR_LUNG = labelsMask(T.mediastinal_fat, T.lung);
const THORAX_SOFT = labelsMask(T.mediastinal_fat, T.lung, T.abdominal_fat, T.soft_tissue);
const BONE_ALLOW = ~labelsMask(T.air, T.skin, T.subcutaneous_fat);
const RIB_ALLOW = labelsMask(
  T.muscle,
  T.lung,
  T.mediastinal_fat,
  T.abdominal_fat,
  T.liver,
  T.spleen,
  T.subcutaneous_fat,
);
const ABD = labelsMask(T.abdominal_fat);

/**
 * Paints every slice of `tissue` (which must be all zero = air) with the patient's 2D anatomy.
 * Tubes (airways, vessel trees, bowel) are added afterwards by `_tubes.ts`.
 */
export function paintSlices(tissue: Uint8Array, g: Grid, p: Patient): void {
  const painter = new SlicePainter(g, tissue);
  for (let k = 0; k < g.nk; k++) {
    painter.setSlice(k);
    paintSlice(painter, p, painter.z - p.center[2]);
  }
}

function paintSlice(s: SlicePainter, p: Patient, zr: number): void {
  const X = p.center[0], Y = p.center[1];
  const body = bodyAt(p, zr);
  const cav = cavityAt(p, zr);
  const bAvg = 0.5 * (cav.bAnt + cav.bPost);
  const thorax = zr > p.lungBottomZ;

  // Body wall: skin, subcutaneous fat, muscle, then the cavity.
  s.shape(X, Y, body.a, body.bAnt, body.bPost, p.bodyP, T.skin, ANY);
  const sk = p.skinMm;
  s.shape(X, Y, body.a - sk, body.bAnt - sk, body.bPost - sk, p.bodyP, T.subcutaneous_fat, ANY);
  const ma = body.a - sk - p.fatLatMm, mAnt = body.bAnt - sk - p.fatAntMm, mPost = body.bPost - sk - p.fatPostMm;
  s.shape(X, Y, ma, mAnt, mPost, p.bodyP, T.muscle, ANY);
  s.shape(X, Y, cav.a, cav.bAnt, cav.bPost, p.bodyP, thorax ? T.mediastinal_fat : T.abdominal_fat, ANY);

  // Lungs fill the thoracic cavity either side of the mediastinum and shrink towards the apices.
  if (thorax && zr < p.apexZ) {
    const zFull = p.apexZ - 95;
    const f = zr > zFull ? Math.sqrt(1 - ((zr - zFull) / (p.apexZ - zFull)) ** 2) : 1;
    const m = p.mediastinumMm * (zr > p.heart.cz ? 0.8 : 1);
    for (const side of [1, -1]) {
      const al = 0.5 * (cav.a - m) + 3;
      const cx = side * (m + al - 3);
      const cy = 0.5 * (cav.bAnt - cav.bPost);
      const bl = bAvg + 3;
      const axx = side * (m + 0.45 * (cav.a - m)), axy = -0.2 * cav.bPost; // where the apex is
      s.shape(X + axx + f * (cx - axx), Y + axy + f * (cy - axy), al * f, bl * f, bl * f, 3, T.lung, FAT_OR_LUNG);
    }
  }

  // Hemidiaphragm domes: below each dome's surface the cavity is abdominal.
  for (const side of [1, -1]) {
    const top = side === 1 ? 0 : p.leftDomeZ;
    if (!thorax || zr >= top) continue;
    const depth = 0.95 * (top - p.lungBottomZ);
    const f = Math.sqrt((top - zr) / depth);
    const cy = 0.5 * (cav.bAnt - cav.bPost) + 0.12 * bAvg;
    s.ellipse(X + side * 0.42 * cav.a, Y + cy, 0.8 * cav.a * f, 1.2 * bAvg * f, T.abdominal_fat, FAT_OR_LUNG);
  }

  // Heart in its pericardial fat, sitting on the diaphragm.
  const h = p.heart;
  s.ellipsoid(X + h.cx, Y + h.cy, h.cz, h.a + 4, h.b + 4, h.c + 4, T.mediastinal_fat, labelsMask(T.lung));
  s.ellipsoid(X + h.cx, Y + h.cy, h.cz, h.a, h.b, h.c, T.heart, FAT_OR_LUNG);

  // Spine geometry at this height (the trachea, oesophagus and aorta are placed relative to it).
  const rv = vertebraRadius(p, zr);
  const sy = spineY(p, zr);
  const yFront = sy.body + rv; // anterior edge of the vertebral body
  if (zr > p.carinaZ) {
    const ty = yFront + 22 + p.tracheaMm;
    s.ellipse(X, Y + ty, p.tracheaMm + 2, p.tracheaMm + 1.5, T.soft_tissue, FAT_OR_LUNG);
    s.ellipse(X, Y + ty, p.tracheaMm, p.tracheaMm * 0.85, T.airway, labelsMask(T.soft_tissue));
  }
  if (zr > -35) s.ellipse(X - 6, Y + yFront + 9, 8, 6, T.soft_tissue, THORAX_SOFT); // oesophagus

  // Descending aorta beside the spine, moving in front of it in the abdomen; the IVC on the right.
  const archZ = p.carinaZ + 30;
  if (zr < archZ - 10) {
    const t = clamp01(-zr / 70);
    const ax = -(1 - t) * (rv + 12) - t * 14, ay = sy.body + (1 - t) * 3 + t * (rv + 12);
    const r = 11.5 - 2 * t;
    s.ellipse(X + ax, Y + ay, r, r, T.vessel, THORAX_SOFT);
  }
  if (zr < 12) s.ellipse(X + 24, Y + yFront + 14, 12, 10, T.vessel, THORAX_SOFT | labelsMask(T.liver, T.heart));

  // Upper abdominal organs: spleen, stomach, kidneys first; the liver fills the right upper quadrant around them.
  const sp = p.spleen;
  s.ellipsoid(X + sp.cx, Y + sp.cy, sp.cz, sp.a, sp.b, sp.c, T.spleen, ABD);
  const st = p.stomach;
  s.ellipsoid(X + st.cx, Y + st.cy, st.cz, st.a, st.b, st.c, T.stomach_wall, ABD);
  const stAllow = labelsMask(T.stomach_wall);
  s.ellipsoid(X + st.cx, Y + st.cy, st.cz, st.a - 4, st.b - 4, st.c - 4, T.stomach_content, stAllow);
  const gasAllow = labelsMask(T.stomach_content);
  s.ellipsoid(X + st.cx, Y + st.cy, st.cz, st.a - 4, st.b - 4, st.c - 4, T.gas, gasAllow, Y + p.stomachGasY);
  for (const kd of p.kidneys) {
    s.ellipsoid(X + kd.cx, Y + kd.cy, kd.cz, kd.a, kd.b, kd.c, T.kidney, labelsMask(T.abdominal_fat, T.spleen));
    const medial = -Math.sign(kd.cx) * (kd.a - 9);
    s.ellipsoid(X + kd.cx + medial, Y + kd.cy + 4, kd.cz, 11, 9, kd.c * 0.55, T.renal_sinus, labelsMask(T.kidney));
  }
  const gLiver = zr > -60 ? 1 : Math.sqrt(clamp01(1 - ((zr + 60) / (p.liverDepthMm - 60)) ** 2));
  if (gLiver > 0 && zr < 5) {
    const lcx = (0.28 + 0.25 * clamp01((-zr - 20) / 100)) * cav.a;
    const lcy = 0.5 * (cav.bAnt - cav.bPost) - 0.05 * bAvg;
    s.ellipse(X + lcx, Y + lcy, p.liverWidth * cav.a * gLiver, 0.92 * bAvg * gLiver, T.liver, ABD);
  }
  const gb = p.gallbladder;
  if (gb !== null) s.ellipsoid(X + gb.cx, Y + gb.cy, gb.cz, gb.a, gb.b, gb.c, T.gallbladder, labelsMask(T.liver));

  // Muscles beside the spine (paraspinal, and psoas in the lower abdomen).
  if (zr < -70) {
    const grow = clamp01((-70 - zr) / 130);
    const pa = 6 + 14 * grow, pb = 6 + 12 * grow;
    for (const side of [1, -1]) s.ellipse(X + side * (rv + pa - 2), Y + sy.body, pa, pb, T.muscle, ABD);
  }
  const back = -body.bPost + p.skinMm + p.fatPostMm;
  for (const side of [1, -1]) {
    s.ellipse(X + side * 22, Y + back + 21, 21, 22, T.muscle, labelsMask(T.mediastinal_fat, T.abdominal_fat, T.lung));
  }

  // Vertebra: body (cortical shell + trabecular bone) or disc, arch around the canal, spinous process.
  const phase = (((zr + p.vertebraPhaseMm) % p.vertebraPeriodMm) + p.vertebraPeriodMm) % p.vertebraPeriodMm;
  if (phase < p.discMm) {
    s.ellipse(X, Y + sy.body, rv, rv * 0.9, T.disc, BONE_ALLOW);
  } else {
    s.ellipse(X, Y + sy.body, rv, rv * 0.9, T.bone_cortical, BONE_ALLOW);
    s.ellipse(X, Y + sy.body, rv - 1.8, rv * 0.9 - 1.8, T.bone_trabecular, labelsMask(T.bone_cortical));
  }
  s.ellipse(X, Y + sy.canal, p.canalMm + 4, p.canalMm + 3.5, T.bone_cortical, BONE_ALLOW);
  s.ellipse(X, Y + sy.canal - p.canalMm - 9, 4, 10, T.bone_cortical, BONE_ALLOW);
  s.ellipse(X, Y + sy.canal, p.canalMm, p.canalMm * 0.9, T.spinal_canal, labelsMask(T.bone_cortical));

  // Ribs (thorax and upper abdomen) and sternum.
  paintRibs(s, p, zr);
  if (zr > -15 && zr < p.apexZ - 30) {
    const y = cav.bAnt + 0.5 * p.muscleMm;
    s.ellipse(X, Y + y, 13, 6, T.bone_cortical, labelsMask(T.muscle, T.mediastinal_fat, T.lung));
    s.ellipse(X, Y + y, 10, 3.5, T.bone_trabecular, labelsMask(T.bone_cortical));
  }
}

/**
 * Ribs: rib n leaves the spine at height `apexZ + 15 − n·period` and descends by `ribDropMm` along its arc; the
 * axial slice crosses each rib over a range of arc angle θ (0 = posterior midline, π = anterior).
 */
function paintRibs(s: SlicePainter, p: Patient, zr: number): void {
  const X = p.center[0], Y = p.center[1];
  const cav = cavityAt(p, zr);
  const theta0 = 0.35;
  const e = 2 / p.bodyP;
  for (let n = 0; n < 12; n++) {
    const zPost = p.apexZ + 15 - n * p.vertebraPeriodMm;
    const theta1 = n < 9 ? 2.5 : 2.5 - 0.3 * (n - 8);
    const slope = p.ribDropMm / (theta1 - theta0); // mm of descent per radian
    // |zPost − slope·(θ − θ0) − zr| ≤ half-height
    const lo = Math.max(theta0, theta0 + (zPost - zr - p.ribHalfMm) / slope);
    const hi = Math.min(theta1, theta0 + (zPost - zr + p.ribHalfMm) / slope);
    if (!(hi > lo)) continue;
    const step = 0.8 / Math.max(cav.a, cav.bAnt);
    for (let th = lo; th <= hi; th += step) {
      const sn = Math.sin(th), cs = Math.cos(th);
      const rx = Math.pow(Math.abs(sn), e) * (cav.a + 5);
      const ry = -Math.sign(cs) * Math.pow(Math.abs(cs), e) * ((cs > 0 ? cav.bPost : cav.bAnt) + 5);
      for (const side of [1, -1]) {
        s.ellipse(X + side * rx, Y + ry, 4.2, 4.2, T.bone_cortical, RIB_ALLOW);
      }
    }
    for (let th = lo; th <= hi; th += step) {
      const sn = Math.sin(th), cs = Math.cos(th);
      const rx = Math.pow(Math.abs(sn), e) * (cav.a + 5);
      const ry = -Math.sign(cs) * Math.pow(Math.abs(cs), e) * ((cs > 0 ? cav.bPost : cav.bAnt) + 5);
      for (const side of [1, -1]) {
        s.ellipse(X + side * rx, Y + ry, 2.4, 2.4, T.bone_trabecular, labelsMask(T.bone_cortical));
      }
    }
  }
}
