/**
 * The plotly.js bundle that HTML reports embed, read as text from the npm package `plotly.js-dist-min` (pinned in
 * deno.json). plotly.js needs a DOM, so it is never imported into the Deno process: importing the package's
 * `package.json` (JSON, no code) makes Deno install the package; the bundle is then read from `node_modules`.
 *
 * @module
 */
import plotlyPackage from "plotly.js-dist-min/package.json" with { type: "json" };

/** Version of the embedded plotly.js. */
export const PLOTLY_VERSION: string = plotlyPackage.version;

let cached: string | undefined;

/**
 * Reads `plotly.min.js` (about 4.8 MB) once per process.
 *
 * @returns The minified bundle's text.
 * @throws {Error} If the file is not in `node_modules` (run `deno install`).
 */
export async function loadPlotlyJs(): Promise<string> {
  if (cached !== undefined) return cached;
  const url = import.meta.resolve("plotly.js-dist-min/plotly.min.js");
  try {
    cached = await Deno.readTextFile(new URL(url));
  } catch (cause) {
    throw new Error(
      `Cannot read plotly.js "${url}": ${(cause as Error).message}: expected plotly.js-dist-min@${PLOTLY_VERSION} ` +
        `in node_modules (run "deno install")`,
      { cause },
    );
  }
  return cached;
}
