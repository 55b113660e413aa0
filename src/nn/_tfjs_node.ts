/**
 * Optional loader of the native TensorFlow backend ("tensorflow"): `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node` (4.22.0, the version of `@tensorflow/tfjs` pinned in `deno.json`).
 *
 * Neither package can be installed on the project's machines — their install scripts download libtensorflow from
 * Google storage (STACK.md) — so they are never dependencies: this loader only looks for a copy that is already
 * installed, and never makes Deno download anything (no `npm:` import is attempted unless asked for, so `auto`
 * stays fast and `deno.lock` is untouched). Where it looks, by {@linkcode TFJS_NODE_ENV}:
 *
 * - unset: `node_modules/@tensorflow/tfjs-node-gpu`, then `node_modules/@tensorflow/tfjs-node`, under the current
 *   directory and under the project root;
 * - `0`, `off` or `false`: nowhere (the backend is reported as disabled);
 * - anything else: that module only — a directory (an installed package) or an `npm:`/`file:` specifier, e.g.
 *   `npm:@tensorflow/tfjs-node-gpu@4.22.0` (Deno then resolves it, which may download the package and update
 *   `deno.lock`; its native library must already be built, e.g. by
 *   `deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu` on a machine that can reach Google storage).
 *
 * @module
 */
import { createRequire } from "node:module";
import { tf } from "./tf.ts";

/** Environment variable that points the loader at a tfjs-node build, or (`0`) disables it. */
export const TFJS_NODE_ENV = "SCREENER_TFJS_NODE";

/** The packages tried, fastest first. */
export const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

/** Outcome of {@linkcode loadTfjsNode}: the module that registered "tensorflow", or why none did. */
export type TfjsNodeLoad = { loaded: string } | { reason: string };

function envValue(): string | undefined {
  try {
    return Deno.env.get(TFJS_NODE_ENV);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function searchRoots(): string[] {
  const roots = [new URL("../../", import.meta.url).pathname.replace(/\/$/, "")];
  try {
    roots.unshift(Deno.cwd());
  } catch {
    // no --allow-read for the cwd: the project root is enough
  }
  return [...new Set(roots)];
}

async function loadOne(target: string): Promise<void> {
  if (/^(npm|file|https?):/.test(target)) {
    await import(target);
  } else {
    createRequire(`${target.replace(/\/$/, "")}/`)(target);
  }
}

/**
 * Finds and loads tfjs-node (GPU build first) so that tfjs has a "tensorflow" backend. Never throws: failures come
 * back as a reason.
 *
 * @returns The module that registered the backend, or a sentence saying why there is none.
 */
export async function loadTfjsNode(): Promise<TfjsNodeLoad> {
  if (tf.findBackendFactory("tensorflow") !== null) return { loaded: "already registered" };
  const env = envValue()?.trim();
  if (env !== undefined && ["0", "off", "false"].includes(env.toLowerCase())) {
    return { reason: `disabled by ${TFJS_NODE_ENV}=${env}` };
  }
  const targets = env
    ? [env]
    : searchRoots().flatMap((root) => TFJS_NODE_PACKAGES.map((p) => `${root}/node_modules/${p}`)).filter(isDirectory);
  if (targets.length === 0) {
    return {
      reason: `${TFJS_NODE_PACKAGES.join(" and ")} are not installed in node_modules (their install scripts download ` +
        `libtensorflow from Google storage); install one where that works, or set ${TFJS_NODE_ENV} to its path or ` +
        `npm: specifier`,
    };
  }
  const failures: string[] = [];
  for (const target of targets) {
    try {
      await loadOne(target);
      if (tf.findBackendFactory("tensorflow") !== null) return { loaded: target };
      failures.push(`${target} loaded but registered no "tensorflow" backend`);
    } catch (error) {
      failures.push(`cannot load ${target}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return { reason: failures.join("; ") };
}
