/**
 * The single import point for TensorFlow.js in screener-kit: every module imports `tf` from here, never from the
 * npm package, so that one version (pinned in `deno.json`) and one engine are in play. The union package is used
 * because it registers the gradients of every op (`@tensorflow/tfjs-core` alone has none) and the `cpu` backend.
 *
 * @example
 * ```ts ignore
 * import { tf } from "./tf.ts";
 * const y = tf.tidy(() => tf.square(tf.scalar(3)));
 * ```
 *
 * @module
 */
export * as tf from "@tensorflow/tfjs";
