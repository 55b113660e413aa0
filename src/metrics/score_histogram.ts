/**
 * Histograms of lesion and background scores on shared bins, for the "lesion vs background" figure.
 *
 * @module
 */

/** Counts of lesion and background scores in equal-width bins. */
export interface ScoreHistogram {
  /** Bin edges, length `bins + 1`, ascending; the last bin includes its upper edge. */
  edges: Float64Array;
  /** Lesion voxels per bin. */
  lesion: Float64Array;
  /** Background voxels per bin. */
  background: Float64Array;
}

/** Options for {@linkcode scoreHistogram}. */
export interface ScoreHistogramOptions {
  /** Number of equal-width bins. @default {100} */
  bins?: number;
  /** `[min, max]` of the bins; scores outside are counted in the first or last bin. Default: the scores' range. */
  range?: [number, number];
}

/**
 * Bins lesion and background scores on the same equal-width bins.
 *
 * @param lesion Lesion scores, in one or more chunks.
 * @param background Background scores, in one or more chunks.
 * @param options See {@linkcode ScoreHistogramOptions}.
 * @throws {RangeError} If `bins` is not a positive integer or `range` is not two finite increasing numbers.
 * @example
 * ```ts
 * import { scoreHistogram } from "./score_histogram.ts";
 * const h = scoreHistogram([Float32Array.of(0.9, 1)], [Float32Array.of(0, 0.1, 0.2)], { bins: 2 });
 * if (h.lesion.join() !== "0,2" || h.background.join() !== "3,0") throw new Error("histogram");
 * ```
 */
export function scoreHistogram(
  lesion: Iterable<Float32Array>,
  background: Iterable<Float32Array>,
  options: ScoreHistogramOptions = {},
): ScoreHistogram {
  const { bins = 100 } = options;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`Cannot make a score histogram with ${bins} bins: expected a positive integer`);
  }
  const lesionChunks = [...lesion], backgroundChunks = [...background];
  let [lo, hi] = options.range ?? rangeOf([...lesionChunks, ...backgroundChunks]);
  if (options.range && !(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new RangeError(`Cannot make a score histogram on range [${lo}, ${hi}]: expected finite min < max`);
  }
  if (!(lo < hi)) [lo, hi] = Number.isFinite(lo) ? [lo - 0.5, lo + 0.5] : [0, 1];
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = lo + (hi - lo) * b / bins;
  const count = (chunks: Float32Array[]) => {
    const out = new Float64Array(bins);
    const scale = bins / (hi - lo);
    for (const chunk of chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const b = Math.floor((chunk[i] - lo) * scale);
        out[b < 0 ? 0 : b >= bins ? bins - 1 : b]++;
      }
    }
    return out;
  };
  return { edges, lesion: count(lesionChunks), background: count(backgroundChunks) };
}

/** Finite min and max over chunks; [Infinity, -Infinity] when there is none. */
function rangeOf(chunks: Float32Array[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const v = chunk[i];
      if (v < lo && v > -Infinity) lo = v;
      if (v > hi && v < Infinity) hi = v;
    }
  }
  return [lo, hi];
}
