/**
 * Dense VICReg loss (METHOD §3) on projected embeddings of positive voxel pairs.
 *
 * @module
 */
import { matMul2d, tf } from "../nn/mod.ts";

/** Weights of the three VICReg terms. */
export interface VicregWeights {
  /** Invariance (MSE between paired embeddings). @default {25} */
  invariance: number;
  /** Variance (hinge on the per-dimension standard deviation). @default {25} */
  variance: number;
  /** Covariance (off-diagonal covariance energy). @default {1} */
  covariance: number;
}

/** The authors' weights 25 / 25 / 1. */
export const VICREG_WEIGHTS: Readonly<VicregWeights> = Object.freeze({ invariance: 25, variance: 25, covariance: 1 });

/** The loss and its weighted-sum parts. */
export interface VicregLoss {
  /** Weighted total, a scalar. */
  total: tf.Scalar;
  /** Unweighted `[invariance, variance, covariance]`. */
  parts: tf.Tensor1D;
}

/** Variance term of one view: mean over dimensions of ReLU(1 − sqrt(var + 1e-4)), var unbiased over the K rows. */
export function varianceTerm(z: tf.Tensor2D): tf.Scalar {
  const k = z.shape[0];
  const centred = tf.sub(z, tf.mean(z, 0));
  const variance = tf.div(tf.sum(tf.square(centred), 0), k - 1);
  return tf.mean(tf.relu(tf.sub(1, tf.sqrt(tf.add(variance, 1e-4)))));
}

/** Covariance term of one view: Σ_{i≠j} C_ij² / d with C = zcᵀ zc / (K − 1). */
export function covarianceTerm(z: tf.Tensor2D): tf.Scalar {
  const [k, d] = z.shape;
  const centred = tf.sub(z, tf.mean(z, 0));
  const cov = tf.div(matMul2d(tf.transpose(centred) as tf.Tensor2D, centred as tf.Tensor2D), k - 1);
  // Off-diagonal energy = total energy − energy of the diagonal (the diagonal of C is the per-dimension variance).
  const diagonal = tf.div(tf.sum(tf.square(centred), 0), k - 1);
  const offDiagonal = tf.sub(tf.sum(tf.square(cov)), tf.sum(tf.square(diagonal)));
  return tf.div(offDiagonal, d);
}

/**
 * VICReg on two views' projected embeddings of the same K voxels (row r of `za` and of `zb` are a positive pair).
 * Following the reference implementation (Bardes et al.), the variance terms of the two views are averaged and the
 * covariance terms summed: total = 25·inv + 25·(v(a) + v(b))/2 + 1·(c(a) + c(b)).
 *
 * @param za `[K, d]` projected embeddings of view A (K ≥ 2).
 * @param zb `[K, d]` projected embeddings of view B.
 * @throws {RangeError} If the shapes differ or K < 2.
 */
export function vicregLoss(za: tf.Tensor2D, zb: tf.Tensor2D, weights: VicregWeights = VICREG_WEIGHTS): VicregLoss {
  if (za.shape.join(",") !== zb.shape.join(",") || za.shape[0] < 2) {
    throw new RangeError(
      `Cannot compute VICReg on views [${za.shape}] and [${zb.shape}]: expected equal shapes with at least 2 rows`,
    );
  }
  const inv = tf.mean(tf.square(tf.sub(za, zb))) as tf.Scalar;
  const variance = tf.div(tf.add(varianceTerm(za), varianceTerm(zb)), 2) as tf.Scalar;
  const covariance = tf.add(covarianceTerm(za), covarianceTerm(zb)) as tf.Scalar;
  const total = tf.addN([
    tf.mul(weights.invariance, inv),
    tf.mul(weights.variance, variance),
    tf.mul(weights.covariance, covariance),
  ]) as tf.Scalar;
  return { total, parts: tf.stack([inv, variance, covariance]) as tf.Tensor1D };
}
