/**
 * The stock cpu kernels that the fast kernels replace while they are on: elementwise binary ops with a faster
 * broadcast (`_binary_cpu.ts`) and Transpose, Slice, Sum, Mean as strided walks (`_strided_cpu.ts`), all for
 * float32 only (other dtypes call the stock kernel). {@linkcode setStockOverrides} installs them and restores the
 * stock configs exactly, so `initBackend("cpu", { fastKernels: false })` is plain tfjs again.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { binaryOverrides } from "./_binary_cpu.ts";
import { stridedOverrides } from "./_strided_cpu.ts";

/** A replacement for a stock cpu kernel, built around the stock config (to which it may delegate). */
export interface StockOverride {
  /** The stock kernel's name, e.g. "Multiply". */
  readonly kernelName: string;
  /** Builds the replacement from the stock config. */
  readonly make: (stock: tf.KernelConfig) => tf.KernelConfig;
}

const OVERRIDES: readonly StockOverride[] = [...binaryOverrides, ...stridedOverrides];

/** Names of the stock cpu kernels replaced while the fast kernels are on. */
export const OVERRIDDEN_KERNELS: readonly string[] = OVERRIDES.map((o) => o.kernelName);

const stock = new Map<string, tf.KernelConfig>();

/** Installs (`on`) or removes the replacements; idempotent. */
export function setStockOverrides(on: boolean): void {
  for (const override of OVERRIDES) {
    const name = override.kernelName;
    const current = tf.getKernel(name, "cpu");
    if (current === undefined || on === stock.has(name)) continue;
    tf.unregisterKernel(name, "cpu");
    if (on) {
      stock.set(name, current);
      tf.registerKernel(override.make(current));
    } else {
      tf.registerKernel(stock.get(name)!);
      stock.delete(name);
    }
  }
}
