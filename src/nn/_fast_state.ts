/**
 * Whether the cpu fast kernels (ONNX Runtime convolutions and matmuls, fused JS loops) are switched on. Ops consult
 * {@linkcode fastKernelsActive} on every call: the fast path runs only while the active tfjs backend is "cpu" and
 * `initBackend()` enabled the kernels; otherwise ops take their generic tfjs path.
 *
 * @module
 */
import { tf } from "./tf.ts";

let enabled = false;

/** Turns the fast path on or off (kernels must already be registered; see `_fast_kernels.ts`). */
export function setFastKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether the fast path is switched on, whichever backend is active. */
export function fastKernelsEnabled(): boolean {
  return enabled;
}

/** Whether ops take the fast path now: switched on and the active backend is "cpu". */
export function fastKernelsActive(): boolean {
  return enabled && tf.getBackend() === "cpu";
}
