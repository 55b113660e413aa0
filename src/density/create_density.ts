/**
 * {@linkcode createDensityModel}: builds any density model from its kind, dimensions and options.
 *
 * @module
 */
import { DENSITY_KINDS, type DensityModel } from "./density_model.ts";
import { FlowDensity, type FlowOptions } from "./flow.ts";
import { GaussianDensity, type GaussianOptions } from "./gaussian.ts";
import { GaussianUncondDensity, type GaussianUncondOptions } from "./gaussian_uncond.ts";

/**
 * What {@linkcode createDensityModel} takes: a kind, the widths and that kind's options (any `DensitySpec`, i.e. a
 * model's `toJSON()`, qualifies). `gaussian-uncond` ignores `dc`.
 */
export type DensityModelRequest =
  | ({ kind: "flow"; dy: number; dc: number } & FlowOptions)
  | ({ kind: "gaussian"; dy: number; dc: number } & GaussianOptions)
  | ({ kind: "gaussian-uncond"; dy: number; dc?: number } & GaussianUncondOptions);

/**
 * Builds a density model with fresh weights (seeded by the options' `seed`).
 *
 * @param request Kind, widths and options; e.g. a saved `model.toJSON()`.
 * @returns The model (caller disposes).
 * @throws {RangeError} If the kind is unknown or a width or option is out of range.
 * @example A default conditional flow on 32-dim descriptors and 32-dim conditions
 * ```ts ignore
 * const flow = createDensityModel({ kind: "flow", dy: 32, dc: 32 }); // 8 blocks, hidden 256, α = 2
 * ```
 */
export function createDensityModel(request: DensityModelRequest): DensityModel {
  switch (request.kind) {
    case "flow": {
      const { kind: _, dy, dc, ...options } = request;
      return new FlowDensity(dy, dc, options);
    }
    case "gaussian": {
      const { kind: _, dy, dc, ...options } = request;
      return new GaussianDensity(dy, dc, options);
    }
    case "gaussian-uncond": {
      const { kind: _, dy, dc: __, ...options } = request;
      return new GaussianUncondDensity(dy, options);
    }
    default: {
      const kind = (request as { kind: unknown }).kind;
      throw new RangeError(`Cannot build density model "${kind}": expected one of ${DENSITY_KINDS.join(", ")}`);
    }
  }
}
