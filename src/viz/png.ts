/**
 * PNG export through headless Chromium (Debian's `chromium`): the figure is rendered in a self-contained page and
 * screenshotted. Optional: {@linkcode findChromium} says whether it is available.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/mod.ts";
import { renderHtml } from "./html.ts";
import type { NamedFigure } from "./figure.ts";

/** Where {@linkcode findChromium} looks, after the `CHROMIUM` environment variable. */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] as const;

/** The first Chromium found (`$CHROMIUM`, then {@linkcode CHROMIUM_PATHS}), or `null` if none is installed. */
export async function findChromium(): Promise<string | null> {
  const candidates = [Deno.env.get("CHROMIUM"), ...CHROMIUM_PATHS].filter((p): p is string => !!p);
  for (const path of candidates) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not there: try the next one
    }
  }
  return null;
}

/** Options for {@linkcode renderPng}. */
export interface RenderPngOptions {
  /** Text of plotly.js (`await loadPlotlyJs()`). */
  plotlyJs: string;
  /** Chromium executable. Default: {@linkcode findChromium}. */
  chromium?: string;
  /** Time allowed for Chromium to start, render and save, in ms. @default {60000} */
  timeoutMs?: number;
}

/**
 * Renders one figure to a PNG file at the figure's own `layout.width × layout.height` (default 700×500).
 *
 * Flags: `--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
 * --disable-sync --no-first-run --user-data-dir=<fresh temp dir> --hide-scrollbars --window-size=W,H
 * --virtual-time-budget=10000 --screenshot=<png>` (STACK.md); the virtual-time budget lets plotly finish drawing,
 * image traces included, before the screenshot.
 *
 * @param figure The figure to render.
 * @param pngPath Destination PNG (written atomically).
 * @param options plotly.js text, Chromium path, timeout.
 * @throws {Error} If no Chromium is found, or it fails or writes no PNG (with its stderr).
 */
export async function renderPng(figure: NamedFigure, pngPath: string, options: RenderPngOptions): Promise<void> {
  const { plotlyJs, timeoutMs = 60_000 } = options;
  const chromium = options.chromium ?? await findChromium();
  if (chromium === null) {
    throw new Error(
      `Cannot render "${pngPath}": no Chromium found (looked at $CHROMIUM, ${CHROMIUM_PATHS.join(", ")}): ` +
        `expected Debian's chromium (apt-get install chromium)`,
    );
  }
  const layout = figure.figure.layout as { width?: number; height?: number };
  const width = Math.ceil(layout.width ?? 700) + 24, height = Math.ceil(layout.height ?? 500) + 24;
  const dir = await Deno.makeTempDir({ prefix: "screener-kit-png-" });
  try {
    const still = {
      ...figure,
      figure: { ...figure.figure, config: { ...figure.figure.config, displayModeBar: false } },
    };
    const page = renderHtml([still], { plotlyJs, title: figure.title, wrap: false })
      .replace("<body>", '<body style="margin:0">')
      .replace(/<h1>[^<]*<\/h1>/, "")
      .replace(/<figcaption>[^<]*<\/figcaption>/, "")
      .replace("figure.fig { margin: 0; border: 1px solid #ddd;", "figure.fig { margin: 0; border: 0;");
    const htmlPath = join(dir, "figure.html"), shot = join(dir, "figure.png");
    await Deno.writeTextFile(htmlPath, page);
    const command = new Deno.Command(chromium, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${join(dir, "profile")}`,
        "--hide-scrollbars",
        `--window-size=${width},${height}`,
        "--virtual-time-budget=10000",
        `--screenshot=${shot}`,
        `file://${htmlPath}`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    });
    let output: Deno.CommandOutput;
    try {
      output = await command.output();
    } catch (cause) {
      throw new Error(`Cannot render "${pngPath}": ${chromium} did not finish: ${(cause as Error).message}`, { cause });
    }
    let png: Uint8Array;
    try {
      png = await Deno.readFile(shot);
    } catch {
      const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-5).join("\n");
      throw new Error(
        `Cannot render "${pngPath}": ${chromium} exited with code ${output.code} and wrote no screenshot: ${stderr}`,
      );
    }
    await writeFileAtomic(pngPath, png);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
