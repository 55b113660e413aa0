/**
 * The slice view: a CT slice in an HU window, the anomaly map over it as a translucent heatmap, and the ground truth
 * as an outline, along one axis (axial, coronal or sagittal) with a slider over nearby slices.
 *
 * Two steps, so that a dataset loop keeps only small arrays: {@linkcode extractSlices} cuts and downsamples the
 * slices from the volumes (do it while the volumes are in memory), {@linkcode sliceFigure} draws them later, when the
 * threshold is known.
 *
 * Display convention (radiological): patient right on the left of axial and coronal views, anterior on top of axial
 * views, superior on top of coronal and sagittal views, anterior on the left of sagittal views.
 *
 * @module
 */
import {
  applyAffine,
  axcodesOf,
  mat4Invert,
  reorient,
  sameGrid,
  type Vec3,
  type Volume,
  type VoxelArray,
} from "../io/mod.ts";
import { encodePng, pngDataUri } from "./_png.ts";
import { baseLayout, type Figure, type PlotlyTrace, roundTo } from "./figure.ts";

/** Views {@linkcode extractSlices} can cut. */
export const SLICE_AXES = ["axial", "coronal", "sagittal"] as const;
/** One of {@linkcode SLICE_AXES}: axial cuts along k, coronal along j, sagittal along i (RAS grid). */
export type SliceAxis = typeof SLICE_AXES[number];

/** Volumes of one case on one grid, any orientation (they are reoriented to RAS). */
export interface SliceVolumes {
  /** Anomaly map. */
  scores: Volume<VoxelArray>;
  /** Ground truth (nonzero = lesion), outlined. */
  labels?: Volume<VoxelArray>;
  /** CT in HU, drawn in grey under the map. */
  ct?: Volume<VoxelArray>;
}

/** Options for {@linkcode extractSlices}. */
export interface ExtractSlicesOptions {
  /** Which view. @default {"axial"} */
  axis?: SliceAxis;
  /**
   * Voxel (i, j, k) to centre on, in the input volumes' own index order. Default: the highest-scoring lesion voxel
   * (the peak of the highest-scoring lesion), or the highest-scoring voxel when there is no lesion.
   */
  center?: Vec3;
  /** Slices on the slider, centred on `center` (fewer near the volume's edge). @default {11} */
  count?: number;
  /** Distance in mm from the first to the last slice on the slider. @default {60} */
  spanMm?: number;
  /** Largest side of a displayed slice in pixels; bigger slices are reduced by block averaging. @default {128} */
  maxSizePx?: number;
  /** HU window of the CT display: [black, white]. @default {[-1000, 300]} */
  windowHu?: [number, number];
}

/** Downsampled slices of one view, ready for {@linkcode sliceFigure}. Rows top first, columns left first. */
export interface SliceStack {
  axis: SliceAxis;
  /** Slice indices along the view's axis of the RAS grid, ascending. */
  indices: number[];
  /** Position in `indices` of the centre slice (the slider's start). */
  initial: number;
  /** Centre voxel (i, j, k) in the RAS grid. */
  centerRas: [number, number, number];
  /** Displayed pixels per row and rows. */
  width: number;
  height: number;
  /** Size of a displayed pixel in mm: across, down. */
  pixelMm: [number, number];
  /** Axis titles: across, down. */
  axisTitles: [string, string];
  /** Per slice: CT in the window as grey bytes (`width·height`), or `null` without a CT. */
  ct: (Uint8Array | null)[];
  /** Per slice: the highest score in each pixel's block. */
  scores: Float32Array[];
  /** Per slice: 1 where the pixel's block holds any lesion voxel. */
  lesion: Uint8Array[];
  windowHu: [number, number];
}

/**
 * Cuts and downsamples the slices of one view. Scores are max-pooled (hot spots survive), the CT is averaged, the
 * lesion mask is max-pooled (small lesions survive).
 *
 * @param volumes Scores, and optionally labels and CT, on the same grid.
 * @param options See {@linkcode ExtractSlicesOptions}.
 * @returns The slices of the view.
 * @throws {RangeError} If the grids differ, an option is out of range, or the centre lies outside the volume.
 * @example
 * ```ts ignore
 * const stack = extractSlices({ scores, labels, ct }, { axis: "coronal" });
 * const figure = sliceFigure(stack, { threshold: 3.2 });
 * ```
 */
export function extractSlices(volumes: SliceVolumes, options: ExtractSlicesOptions = {}): SliceStack {
  const { axis = "axial", count = 11, spanMm = 60, maxSizePx = 128, windowHu = [-1000, 300] } = options;
  if (!SLICE_AXES.includes(axis)) {
    throw new RangeError(`Cannot extract slices along "${axis}": expected one of ${SLICE_AXES.join(", ")}`);
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Cannot extract ${count} slices: expected a positive integer`);
  }
  if (!(spanMm >= 0)) throw new RangeError(`Cannot extract slices over ${spanMm} mm: expected a number ≥ 0`);
  if (!Number.isInteger(maxSizePx) || maxSizePx < 8) {
    throw new RangeError(`Cannot extract slices of ${maxSizePx} px: expected an integer ≥ 8`);
  }
  if (!(windowHu[0] < windowHu[1])) {
    throw new RangeError(`Cannot display the CT in window [${windowHu.join(", ")}] HU: expected min < max`);
  }
  for (const [name, v] of [["labels", volumes.labels], ["ct", volumes.ct]] as const) {
    if (v !== undefined && !sameGrid(v, volumes.scores)) {
      throw new RangeError(
        `Cannot extract slices: ${name} grid ${v.shape.join("×")} differs from the scores' grid ` +
          `${volumes.scores.shape.join("×")}: expected the same shape and affine`,
      );
    }
  }
  const ras = (
    v: Volume<VoxelArray>,
  ) => (axcodesOf(v.affine) === "RAS" ? v : reorient(v, "RAS", { oblique: "nearest" }));
  const scores = ras(volumes.scores);
  const labels = volumes.labels ? ras(volumes.labels) : undefined;
  const ct = volumes.ct ? ras(volumes.ct) : undefined;
  const shape = scores.shape;
  let center: [number, number, number];
  if (options.center) {
    const world = applyAffine(volumes.scores.affine, options.center);
    const idx = applyAffine(mat4Invert(scores.affine), world).map(Math.round);
    if (idx.some((v, d) => v < 0 || v >= shape[d])) {
      throw new RangeError(
        `Cannot centre slices on voxel [${options.center.join(", ")}]: outside the volume of ${shape.join("×")}`,
      );
    }
    center = [idx[0], idx[1], idx[2]];
  } else {
    center = hottestVoxel(scores, labels);
  }

  // View geometry: s = slice axis, u = across (flipped: index nu − 1 at the left), v = down (flipped: top = high).
  const [s, u, v] = axis === "axial" ? [2, 0, 1] : axis === "coronal" ? [1, 0, 2] : [0, 1, 2];
  const strides = [1, shape[0], shape[0] * shape[1]];
  const nu = shape[u], nv = shape[v];
  const factor = Math.ceil(Math.max(nu, nv) / maxSizePx);
  const width = Math.ceil(nu / factor), height = Math.ceil(nv / factor);
  const spacing = scores.spacingMm;
  const step = count > 1 ? Math.max(1, Math.round(spanMm / (count - 1) / spacing[s])) : 1;
  const half = Math.floor(count / 2);
  const indices: number[] = [];
  for (let q = -half; q < count - half; q++) {
    const index = center[s] + q * step;
    if (index >= 0 && index < shape[s]) indices.push(index);
  }
  const [lo, hi] = windowHu;
  const stack: SliceStack = {
    axis,
    indices,
    initial: indices.indexOf(center[s]),
    centerRas: center,
    width,
    height,
    pixelMm: [spacing[u] * factor, spacing[v] * factor],
    axisTitles: AXIS_TITLES[axis],
    ct: [],
    scores: [],
    lesion: [],
    windowHu: [lo, hi],
  };
  for (const index of indices) {
    const sc = new Float32Array(width * height).fill(-Infinity);
    const le = new Uint8Array(width * height);
    const grey = ct ? new Uint8Array(width * height) : null;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        let sum = 0, n = 0, best = -Infinity, hit = 0;
        for (let dv = 0; dv < factor; dv++) {
          const vi = nv - 1 - (r * factor + dv);
          if (vi < 0) break;
          for (let du = 0; du < factor; du++) {
            const ui = nu - 1 - (c * factor + du);
            if (ui < 0) break;
            const p = index * strides[s] + ui * strides[u] + vi * strides[v];
            const value = scores.data[p];
            if (value > best) best = value;
            if (labels && labels.data[p] !== 0) hit = 1;
            if (ct) sum += ct.data[p];
            n++;
          }
        }
        const o = r * width + c;
        sc[o] = best;
        le[o] = hit;
        if (grey) grey[o] = Math.round(255 * Math.min(1, Math.max(0, (sum / n - lo) / (hi - lo))));
      }
    }
    stack.scores.push(sc);
    stack.lesion.push(le);
    stack.ct.push(grey);
  }
  return stack;
}

const AXIS_TITLES: Record<SliceAxis, [string, string]> = {
  axial: ["patient right ← mm → left", "anterior (top) ← mm → posterior"],
  coronal: ["patient right ← mm → left", "superior (top) ← mm → inferior"],
  sagittal: ["anterior ← mm → posterior", "superior (top) ← mm → inferior"],
};

/** The highest-scoring lesion voxel, or the highest-scoring voxel when there is no lesion (first in memory order). */
function hottestVoxel(scores: Volume<VoxelArray>, labels?: Volume<VoxelArray>): [number, number, number] {
  let best = -Infinity, at = -1, bestAny = -Infinity, atAny = 0;
  const data = scores.data;
  for (let p = 0; p < data.length; p++) {
    const value = data[p];
    if (value > bestAny) {
      bestAny = value;
      atAny = p;
    }
    if (labels && labels.data[p] !== 0 && value > best) {
      best = value;
      at = p;
    }
  }
  const p = at >= 0 ? at : atAny;
  const [n0, n1] = scores.shape;
  return [p % n0, Math.floor(p / n0) % n1, Math.floor(p / (n0 * n1))];
}

/** Options for {@linkcode sliceFigure}. */
export interface SliceFigureOptions {
  /** Scores below this are transparent (e.g. the best-Dice threshold). Default: every score is drawn. */
  threshold?: number;
  /** Colour range of the scores. Default: from the threshold (or the lowest score) to the highest in the stack. */
  scoreRange?: [number, number];
  /** Opacity of the score heatmap. @default {0.55} */
  opacity?: number;
  /** Figure title. @default {"<axis> view"} */
  title?: string;
  /** Outline colour of the ground truth. @default {"#00e676"} */
  outlineColor?: string;
}

/**
 * Draws a {@linkcode SliceStack}: the CT as a grey image, the scores as a translucent heatmap (hover shows the
 * value), the lesions as outlines, and a slider over the slices (Plotly frames).
 *
 * @param stack Slices from {@linkcode extractSlices}.
 * @param options See {@linkcode SliceFigureOptions}.
 * @returns A Plotly figure spec with frames and a slider.
 */
export function sliceFigure(stack: SliceStack, options: SliceFigureOptions = {}): Figure {
  const { threshold, opacity = 0.55, outlineColor = "#00e676" } = options;
  const title = options.title ?? `${stack.axis} view`;
  let zmin = Infinity, zmax = -Infinity;
  for (const sc of stack.scores) {
    for (const value of sc) {
      if (!Number.isFinite(value)) continue;
      if (value < zmin) zmin = value;
      if (value > zmax) zmax = value;
    }
  }
  if (threshold !== undefined) zmin = threshold;
  const [lo, hi] = options.scoreRange ?? [zmin, zmax > zmin ? zmax : zmin + 1];
  const [dx, dy] = stack.pixelMm;
  const axisLetter = stack.axis === "axial" ? "k" : stack.axis === "coronal" ? "j" : "i";
  const tracesOf = (q: number): PlotlyTrace[] => {
    const traces: PlotlyTrace[] = [];
    const grey = stack.ct[q];
    if (grey) {
      const rgba = new Uint8Array(grey.length * 4);
      for (let p = 0; p < grey.length; p++) {
        rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = grey[p];
        rgba[4 * p + 3] = 255;
      }
      traces.push({
        type: "image",
        name: "CT",
        source: pngDataUri(encodePng(rgba, stack.width, stack.height)),
        x0: 0,
        y0: 0,
        dx,
        dy,
        hoverinfo: "skip",
      });
    }
    const z: (number | null)[][] = [];
    const sc = stack.scores[q];
    for (let r = 0; r < stack.height; r++) {
      const row: (number | null)[] = [];
      for (let c = 0; c < stack.width; c++) {
        const value = sc[r * stack.width + c];
        row.push(threshold !== undefined && !(value >= threshold) ? null : roundTo(value, 4));
      }
      z.push(row);
    }
    traces.push({
      type: "heatmap",
      name: "anomaly score",
      z,
      x0: 0,
      y0: 0,
      dx,
      dy,
      zmin: lo,
      zmax: hi,
      colorscale: "Hot",
      opacity,
      colorbar: { title: { text: "score" }, thickness: 14 },
      hovertemplate: "score %{z}<extra></extra>",
      zsmooth: false,
    });
    const outline = outlineOf(stack.lesion[q], stack.width, stack.height, dx, dy);
    traces.push({
      type: "scatter",
      mode: "lines",
      name: "ground truth",
      x: outline.x,
      y: outline.y,
      line: { color: outlineColor, width: 1.5 },
      hoverinfo: "skip",
      showlegend: false,
    });
    return traces;
  };
  const frames = stack.indices.map((index, q) => ({ name: `${axisLetter}${index}`, data: tracesOf(q) }));
  const initial = Math.max(0, stack.initial);
  const size = 460;
  const aspect = (stack.height * dy) / (stack.width * dx);
  return {
    data: frames.length > 0 ? frames[initial].data : [],
    frames,
    layout: baseLayout(title, {
      xaxis: {
        title: { text: stack.axisTitles[0] },
        range: [-dx / 2, (stack.width - 0.5) * dx],
        showgrid: false,
        zeroline: false,
      },
      yaxis: {
        title: { text: stack.axisTitles[1] },
        range: [(stack.height - 0.5) * dy, -dy / 2],
        scaleanchor: "x",
        scaleratio: 1,
        showgrid: false,
        zeroline: false,
      },
      width: size + 140,
      height: Math.round(size * Math.min(1.6, Math.max(0.5, aspect))) + 200,
      margin: { l: 60, r: 20, t: 50, b: 120 },
      sliders: [{
        active: initial,
        currentvalue: { prefix: `${stack.axis} slice ${axisLetter} = `, xanchor: "right" },
        pad: { t: 70 },
        steps: frames.map((f, q) => ({
          label: String(stack.indices[q]),
          method: "animate",
          args: [[f.name], { mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 } }],
        })),
      }],
    }),
  };
}

/** Pixel-edge outline of a mask as one line trace: segments separated by nulls, in display mm. */
function outlineOf(
  mask: Uint8Array,
  width: number,
  height: number,
  dx: number,
  dy: number,
): { x: (number | null)[]; y: (number | null)[] } {
  const x: (number | null)[] = [], y: (number | null)[] = [];
  const inside = (c: number, r: number) => c >= 0 && r >= 0 && c < width && r < height && mask[r * width + c] !== 0;
  const segment = (x0: number, y0: number, x1: number, y1: number) => {
    x.push(roundTo(x0, 5), roundTo(x1, 5), null);
    y.push(roundTo(y0, 5), roundTo(y1, 5), null);
  };
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (!inside(c, r)) continue;
      const left = (c - 0.5) * dx, right = (c + 0.5) * dx, top = (r - 0.5) * dy, bottom = (r + 0.5) * dy;
      if (!inside(c - 1, r)) segment(left, top, left, bottom);
      if (!inside(c + 1, r)) segment(right, top, right, bottom);
      if (!inside(c, r - 1)) segment(left, top, right, top);
      if (!inside(c, r + 1)) segment(left, bottom, right, bottom);
    }
  }
  return { x, y };
}
