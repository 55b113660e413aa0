/**
 * Scans ready for crop-pair sampling: read, preprocessed (METHOD §2) and reduced to what sampling needs, with a cache
 * that loads each file once.
 *
 * @module
 */
import { readVolume, sameGrid, type Volume } from "../io/mod.ts";
import { preprocessCt, type PreprocessCtOptions, type PreprocessedCt } from "../preprocess/mod.ts";

/**
 * One preprocessed scan as the crop-pair sampler sees it. Both volumes share the preprocessed grid: canonical RAS
 * (i → Right, j → Anterior, k → Superior), `data[i + n0·(j + n1·k)]`, affine from voxel index to world RAS+ mm of the
 * voxel centres, spacing `PreprocessCtOptions.spacingMm` (1 × 1 × 1.5 mm by default). The resampled HU volume and the
 * crop bookkeeping of {@linkcode PreprocessedCt} are dropped to save memory (5 bytes per voxel remain).
 */
export interface TrainingScan {
  /** Where the scan came from (its path, or any name for an in-memory scan); used in error messages. */
  readonly id: string;
  /** Windowed intensities in [0, 1] (`unit === "unit"`), float32: what the crops are resampled from. */
  readonly image: Volume<Float32Array>;
  /** Body mask on the same grid (1 = body): anchors and positive pairs are drawn inside it. */
  readonly bodyMask: Volume<Uint8Array>;
  /** Number of body voxels (> 0). */
  readonly bodyVoxelCount: number;
}

/**
 * Wraps an already preprocessed scan (e.g. a phantom run through `preprocessCt`) as a {@linkcode TrainingScan}.
 *
 * @param pre The image and body mask of `preprocessCt`'s result (any object with both, on one grid).
 * @param id A name for error messages, e.g. the path it was read from.
 * @returns The scan; the volumes are shared, not copied.
 * @throws {TypeError} If the image is not float32 or the body mask not uint8.
 * @throws {RangeError} If the two volumes are not on one grid, or the body mask is empty.
 * @example
 * ```ts ignore
 * const scan = createTrainingScan(preprocessCt(generatePhantom(1).ct), "phantom 1");
 * ```
 */
export function createTrainingScan(
  pre: Pick<PreprocessedCt, "image" | "bodyMask">,
  id: string,
): TrainingScan {
  const { image, bodyMask } = pre;
  if (!(image.data instanceof Float32Array) || !(bodyMask.data instanceof Uint8Array)) {
    const found = `image is ${image.data.constructor.name} and body mask ${bodyMask.data.constructor.name}`;
    throw new TypeError(
      `Cannot use scan "${id}" for training: ${found}: expected Float32Array and Uint8Array`,
    );
  }
  if (!sameGrid(image, bodyMask, 1e-6)) {
    throw new RangeError(
      `Cannot use scan "${id}" for training: image ${image.shape.join("×")} and body mask ${
        bodyMask.shape.join("×")
      } are on different grids: expected one grid`,
    );
  }
  let bodyVoxelCount = 0;
  const m = bodyMask.data;
  for (let p = 0; p < m.length; p++) if (m[p] !== 0) bodyVoxelCount++;
  if (bodyVoxelCount === 0) {
    throw new RangeError(
      `Cannot use scan "${id}" for training: its body mask is empty: expected at least one body voxel`,
    );
  }
  return { id, image, bodyMask, bodyVoxelCount };
}

/**
 * Options for {@linkcode loadTrainingScan}: those of `preprocessCt` (METHOD §2), spacing included
 * (`spacingMm`, default `[1, 1, 1.5]`; e.g. `[2, 2, 3]` for quick experiments).
 */
export type LoadTrainingScanOptions = PreprocessCtOptions;

/**
 * Reads a CT file (NIfTI or NRRD, values taken as HU) and preprocesses it for crop-pair sampling: reorientation to
 * canonical RAS, body crop, resampling to `spacingMm`, HU window to [0, 1] and body mask (`preprocessCt`).
 *
 * @param path A `.nii`, `.nii.gz` or `.nrrd` CT file.
 * @param options See {@linkcode LoadTrainingScanOptions}.
 * @returns The scan, with `id === path`.
 * @throws {VolumeReadError} (from `src/io`) If the file cannot be read; it names the file.
 * @throws {RangeError} If preprocessing fails (all air, oblique affine, bad option) or the body mask is empty; the
 *   message names the file and the original error is the `cause`.
 * @example
 * ```ts ignore
 * const scan = await loadTrainingScan("../shared/data/ct/totalseg_example_ct_sm_3mm.nii.gz");
 * ```
 */
export async function loadTrainingScan(path: string, options: LoadTrainingScanOptions = {}): Promise<TrainingScan> {
  const ct = await readVolume(path, { unit: "HU" });
  let pre: PreprocessedCt;
  try {
    pre = preprocessCt(ct, options);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const lowered = detail.charAt(0).toLowerCase() + detail.slice(1); // "…: cannot find body crop: …"
    throw new RangeError(`Cannot load training scan "${path}": ${lowered}`, { cause: error });
  }
  return createTrainingScan(pre, path);
}

/** Options for {@linkcode ScanCache}: how many scans to keep, and how to preprocess them. */
export interface ScanCacheOptions extends LoadTrainingScanOptions {
  /**
   * Most scans kept in memory; the least recently used one is dropped when a new one is loaded. A scan at
   * 1 × 1 × 1.5 mm of a 350 × 350 × 300 mm field of view takes about 120 MB. @default {Infinity}
   */
  maxScans?: number;
}

/**
 * Loads training scans on demand and keeps up to `maxScans` of them (least recently used dropped first). Concurrent
 * requests for one path share one load; a failed load is not cached, so it is retried on the next request.
 *
 * @example
 * ```ts ignore
 * const cache = new ScanCache({ maxScans: 16 });
 * const scans = await Promise.all(paths.slice(0, 8).map((p) => cache.get(p)));
 * const batch = sampleBatch(scans, rng, { cropVox: [96, 96, 64] });
 * ```
 */
export class ScanCache {
  readonly #entries = new Map<string, Promise<TrainingScan>>();
  readonly #maxScans: number;
  readonly #load: LoadTrainingScanOptions;

  /**
   * @param options See {@linkcode ScanCacheOptions}.
   * @throws {RangeError} If `maxScans` is not a positive integer or `Infinity`.
   */
  constructor(options: ScanCacheOptions = {}) {
    const { maxScans = Infinity, ...load } = options;
    if (!(maxScans === Infinity || (Number.isInteger(maxScans) && maxScans >= 1))) {
      throw new RangeError(
        `Cannot create scan cache with maxScans ${maxScans}: expected a positive integer or Infinity`,
      );
    }
    this.#maxScans = maxScans;
    this.#load = load;
  }

  /** Number of scans held (loaded or loading). */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `path` is held (loaded or loading). */
  has(path: string): boolean {
    return this.#entries.has(path);
  }

  /**
   * The scan at `path`, loaded with {@linkcode loadTrainingScan} on first use.
   *
   * @throws {VolumeReadError} If the file cannot be read; {@linkcode RangeError} if it cannot be preprocessed.
   */
  get(path: string): Promise<TrainingScan> {
    const held = this.#entries.get(path);
    if (held !== undefined) {
      this.#entries.delete(path); // re-insert: Map order is the recency order
      this.#entries.set(path, held);
      return held;
    }
    const loading = loadTrainingScan(path, this.#load);
    this.#entries.set(path, loading);
    loading.catch(() => {
      if (this.#entries.get(path) === loading) this.#entries.delete(path);
    });
    while (this.#entries.size > this.#maxScans) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return loading;
  }

  /** Drops every scan. */
  clear(): void {
    this.#entries.clear();
  }
}
