/**
 * `tf.setBackend()` without console output: tfjs logs initialisation failures and a "running in Node.js" banner
 * through `console.warn`, and `src/` prints nothing (STYLE.md) — failures come back as `false` for the caller's report.
 *
 * @module
 */
import { tf } from "./tf.ts";

/**
 * Switches the active tfjs backend with tfjs's warnings muted (its `PROD` flag, restored afterwards).
 *
 * @param name A registered backend name.
 * @returns Whether the backend initialised and is active.
 */
export async function quietSetBackend(name: string): Promise<boolean> {
  const env = tf.env();
  const prod = env.getBool("PROD");
  env.set("PROD", true);
  try {
    const ok = await tf.setBackend(name);
    if (ok && name === "cpu") {
      // MathBackendCPU warns "looks like you are running TensorFlow.js in Node.js" on its first write.
      const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
      if (cpu !== null && typeof cpu.firstUse === "boolean") cpu.firstUse = false;
    }
    return ok;
  } catch {
    return false;
  } finally {
    env.set("PROD", prod);
  }
}
