/**
 * Private: the tubular anatomy painted in 3D after the slices: aortic arch, pulmonary arteries, main bronchi,
 * branching vessel trees in the lungs and liver, and bowel loops.
 *
 * @module
 */
import { type Grid, labelAt, labelsMask, paintCapsule } from "./_grid.ts";
import { cavityAt, type Patient, spineY, vertebraRadius } from "./_patient.ts";
import type { Rng } from "./rng.ts";
import { TISSUE as T } from "./tissues.ts";

type P3 = [number, number, number];

/** Paints all tubes; `rng` is the anatomy's tube stream. */
export function paintTubes(tissue: Uint8Array, g: Grid, p: Patient, rng: Rng): void {
  const [X, Y, Z] = p.center;
  const at = (x: number, y: number, z: number): P3 => [X + x, Y + y, Z + z];
  const mediastinum = labelsMask(T.mediastinal_fat, T.lung, T.soft_tissue);
  const zc = p.carinaZ;
  const rvC = vertebraRadius(p, zc);
  const yFront = spineY(p, zc).body + rvC;
  const ty = yFront + 22 + p.tracheaMm;

  // Main bronchi from the carina towards the hila; each hilum is the first lung voxel lateral of the mediastinum.
  const carina = at(0, ty, zc);
  const hila: P3[] = [];
  for (const side of [1, -1]) {
    const nominal = at(side * p.mediastinumMm, ty - 8, zc - 25);
    const hilum: P3 = [nominal[0], nominal[1], nominal[2]];
    for (let d = 0; d < 90; d += 1) {
      hilum[0] = nominal[0] + side * d;
      if (labelAt(tissue, g, hilum[0], hilum[1], hilum[2]) === T.lung) break;
    }
    hila.push(hilum);
    const r = p.tracheaMm * 0.72;
    const bronchusEnd: P3 = [hilum[0] - side * 6, hilum[1], hilum[2] + 4];
    paintCapsule(tissue, g, carina, bronchusEnd, r + 1.8, T.soft_tissue, mediastinum);
    paintCapsule(tissue, g, carina, bronchusEnd, r, T.airway, labelsMask(T.soft_tissue, T.airway));
  }

  // Ascending aorta, arch and the start of the descending aorta (which the slices continue).
  const h = p.heart;
  const archZ = zc + 30;
  const rvA = vertebraRadius(p, archZ - 20);
  const aorta: P3[] = [
    at(h.cx + 15, h.cy + 10, h.cz + 0.5 * h.c),
    at(12, ty + 22, archZ - 25),
    at(2, ty + 8, archZ),
    at(-18, ty - 10, archZ - 4),
    at(-(rvA + 12), spineY(p, archZ - 20).body + 3, archZ - 20),
  ];
  for (let n = 0; n + 1 < aorta.length; n++) {
    paintCapsule(tissue, g, aorta[n], aorta[n + 1], 12, T.vessel, mediastinum);
  }
  // Pulmonary arteries from the heart to both hila, then vessel trees fanning out through each lung.
  const trunk = at(h.cx + 5, h.cy + 5, h.cz + 0.6 * h.c);
  const lungAllow = labelsMask(T.lung);
  const lungInside = labelsMask(T.lung, T.lung_vessel);
  for (let s = 0; s < 2; s++) {
    const side = s === 0 ? 1 : -1;
    const hilum = hila[s];
    paintCapsule(tissue, g, trunk, hilum, 8, T.vessel, mediastinum);
    const dirs: P3[] = [
      [0.3, 0.1, 1],
      [0.6, -0.5, 0.7],
      [0.8, 0.5, 0.5],
      [1, -0.2, 0.1],
      [0.8, 0.6, -0.1],
      [0.7, 0.4, -0.6],
      [0.5, -0.6, -0.7],
      [0.3, 0.1, -1],
      [0.6, -0.8, 0],
    ];
    for (const d of dirs) {
      const dir = normalize([side * d[0], d[1], d[2]]);
      growTree(tissue, g, rng, hilum, dir, 26, 4.5, 0, {
        label: T.lung_vessel,
        allow: lungAllow,
        inside: lungInside,
        maxDepth: 10,
        rootAllow: mediastinum,
      });
    }
  }

  // Portal and hepatic veins in the liver (hypodense to liver without contrast).
  const rvL = vertebraRadius(p, -45);
  const porta = at(30, spineY(p, -45).body + rvL + 28, -45);
  const liverAllow = labelsMask(T.liver);
  const liverInside = labelsMask(T.liver, T.liver_vessel);
  for (const d of [[1, 0.2, 0.3], [0.6, 0.5, 0.4], [0.5, -0.3, -0.5], [-0.6, 0.5, 0.3]] as P3[]) {
    growTree(tissue, g, rng, porta, normalize(d), 26, 4.5, 0, {
      label: T.liver_vessel,
      allow: liverAllow,
      inside: liverInside,
      maxDepth: 6,
      rootAllow: labelsMask(T.liver, T.abdominal_fat),
    });
  }

  paintBowel(tissue, g, p, rng);
}

interface TreeStyle {
  label: number;
  allow: number;
  /** Labels a branch's end must lie in for it to be drawn. */
  inside: number;
  maxDepth: number;
  /** Allow set of the first generation (which starts outside the organ). */
  rootAllow: number;
}

/**
 * A branching tree: each segment splits into two (sometimes three) children with shorter length and smaller radius.
 * A child whose end would leave the organ tries other directions, then a shorter length, before it is dropped.
 */
function growTree(
  tissue: Uint8Array,
  g: Grid,
  rng: Rng,
  start: P3,
  dir: P3,
  length: number,
  radius: number,
  depth: number,
  style: TreeStyle,
): void {
  if (depth > style.maxDepth || radius < 0.35) return;
  let end: P3 | null = null;
  for (let attempt = 0; attempt < 6 && end === null; attempt++) {
    const len = attempt < 4 ? length : 0.5 * length;
    const d = attempt === 0 ? dir : rotateAway(dir, rng.uniform(0.2, 0.7), rng);
    const e: P3 = [start[0] + d[0] * len, start[1] + d[1] * len, start[2] + d[2] * len];
    if ((style.inside >>> labelAt(tissue, g, e[0], e[1], e[2])) & 1) {
      end = e;
      dir = d;
    }
  }
  if (end === null) return;
  const allow = depth === 0 ? style.rootAllow | style.allow : style.allow;
  paintCapsule(tissue, g, start, end, radius, style.label, allow);
  const children = rng.bool(0.15) ? 3 : 2;
  for (let c = 0; c < children; c++) {
    const angle = rng.uniform(0.3, 0.75) * (c === 0 ? 0.5 : 1);
    const child = rotateAway(dir, angle, rng);
    const shrink = c === 0 ? rng.uniform(0.8, 0.9) : rng.uniform(0.6, 0.8);
    growTree(tissue, g, rng, end, child, length * rng.uniform(0.75, 0.9), radius * shrink, depth + 1, style);
  }
}

/** Bowel: a loop of small bowel wandering in the lower abdomen and the colon framing it. */
function paintBowel(tissue: Uint8Array, g: Grid, p: Patient, rng: Rng): void {
  const [X, Y, Z] = p.center;
  const abd = labelsMask(T.abdominal_fat);
  const wall = labelsMask(T.bowel_wall);
  const zMid = -175;
  const c = cavityAt(p, zMid);
  const center: P3 = [X, Y + 0.25 * c.bAnt, Z + zMid];
  const semi: P3 = [0.62 * c.a, 0.5 * c.bAnt, 95];
  // Colon: ascending (right), transverse (anterior), descending (left).
  const cUp = cavityAt(p, -110);
  const colon: P3[] = [
    [X + 0.62 * c.a, Y - 0.05 * c.bPost, Z - 260],
    [X + 0.62 * cUp.a, Y + 0.05 * cUp.bAnt, Z - 115],
    [X + 0.1 * cUp.a, Y + 0.55 * cUp.bAnt, Z - 105],
    [X - 0.62 * cUp.a, Y + 0.1 * cUp.bAnt, Z - 95],
    [X - 0.62 * c.a, Y - 0.05 * c.bPost, Z - 260],
  ];
  const rColon = rng.uniform(17, 24);
  for (let n = 0; n + 1 < colon.length; n++) {
    paintCapsule(tissue, g, colon[n], colon[n + 1], rColon, T.bowel_wall, abd);
    paintCapsule(tissue, g, colon[n], colon[n + 1], rColon - 2.5, rng.bool(0.6) ? T.gas : T.bowel_content, wall);
  }
  // Small bowel: a random walk that turns back towards the centre when it leaves its ellipsoid.
  let pos: P3 = [center[0], center[1], center[2]];
  let dir = normalize([rng.normal(), rng.normal(), rng.normal()]);
  const steps = rng.int(90, 150);
  const r = rng.uniform(9, 13);
  for (let n = 0; n < steps; n++) {
    dir = rotateAway(dir, rng.uniform(0, 0.7), rng);
    let next: P3 = [pos[0] + 11 * dir[0], pos[1] + 11 * dir[1], pos[2] + 11 * dir[2]];
    const q = ((next[0] - center[0]) / semi[0]) ** 2 + ((next[1] - center[1]) / semi[1]) ** 2 +
      ((next[2] - center[2]) / semi[2]) ** 2;
    if (q > 1) {
      dir = normalize([center[0] - pos[0], center[1] - pos[1], center[2] - pos[2]]);
      next = [pos[0] + 11 * dir[0], pos[1] + 11 * dir[1], pos[2] + 11 * dir[2]];
    }
    paintCapsule(tissue, g, pos, next, r, T.bowel_wall, abd);
    paintCapsule(tissue, g, pos, next, r - 2.2, rng.bool(0.2) ? T.gas : T.bowel_content, wall);
    pos = next;
  }
}

function normalize(v: P3): P3 {
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Unit vector at `angle` radians from `dir`, in a random direction around it. */
function rotateAway(dir: P3, angle: number, rng: Rng): P3 {
  // Orthonormal basis (u, v) perpendicular to dir.
  const ref: P3 = Math.abs(dir[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const u = normalize([
    dir[1] * ref[2] - dir[2] * ref[1],
    dir[2] * ref[0] - dir[0] * ref[2],
    dir[0] * ref[1] - dir[1] * ref[0],
  ]);
  const v: P3 = [dir[1] * u[2] - dir[2] * u[1], dir[2] * u[0] - dir[0] * u[2], dir[0] * u[1] - dir[1] * u[0]];
  const phi = rng.uniform(0, 2 * Math.PI);
  const s = Math.sin(angle), c = Math.cos(angle);
  const cp = Math.cos(phi), sp = Math.sin(phi);
  return normalize([
    c * dir[0] + s * (cp * u[0] + sp * v[0]),
    c * dir[1] + s * (cp * u[1] + sp * v[1]),
    c * dir[2] + s * (cp * u[2] + sp * v[2]),
  ]);
}
