/**
 * Self-contained HTML rendering: one page with plotly.js inline and every figure, readable offline.
 *
 * @module
 */
import type { NamedFigure } from "./figure.ts";

/** Options for {@linkcode renderHtml}. */
export interface RenderHtmlOptions {
  /** Page title (also the top heading). @default {"screener-kit figures"} */
  title?: string;
  /** Text of plotly.js (`await loadPlotlyJs()`), embedded inline. */
  plotlyJs: string;
  /** Trusted HTML placed under the heading (summary tables); the caller escapes any text in it. */
  introHtml?: string;
  /** Lay figures out in a wrapping row instead of one per line. @default {true} */
  wrap?: boolean;
}

/**
 * Renders figures into one self-contained HTML page: plotly.js inline, each figure in its own `<div id>` with its
 * caption, sliders and frames working. Figure JSON is escaped so that no `</script>` can end the script early.
 *
 * @param figures Figures with ids and captions.
 * @param options Title, plotly.js text, intro HTML.
 * @returns The page.
 * @throws {RangeError} If two figures share an id or an id is not `[a-z0-9_-]+`.
 * @example
 * ```ts
 * import { renderHtml } from "./html.ts";
 * const page = renderHtml([{ id: "a", title: "A", figure: { data: [], layout: {} } }], { plotlyJs: "// plotly.js" });
 * if (!page.includes('id="fig-a"')) throw new Error("figure div");
 * ```
 */
export function renderHtml(figures: NamedFigure[], options: RenderHtmlOptions): string {
  const { title = "screener-kit figures", plotlyJs, introHtml = "", wrap = true } = options;
  const seen = new Set<string>();
  for (const f of figures) {
    if (!/^[a-z0-9_-]+$/.test(f.id) || seen.has(f.id)) {
      throw new RangeError(
        `Cannot render figure id "${f.id}": ${seen.has(f.id) ? "it is used twice" : "it has other characters"}: ` +
          "expected a unique id of a-z, 0-9, _ and -",
      );
    }
    seen.add(f.id);
  }
  const blocks = figures.map((f) =>
    `<figure class="fig"><figcaption>${escapeHtml(f.title)}</figcaption><div id="fig-${f.id}"></div></figure>`
  ).join("\n");
  const specs = figures.map((f) => `[${scriptJson(`fig-${f.id}`)}, ${scriptJson(f.figure)}]`).join(",\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; }
.figs { display: ${wrap ? "flex" : "block"}; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
figure.fig { margin: 0; border: 1px solid #ddd; border-radius: 4px; padding: 6px; }
figcaption { font-weight: bold; margin: 4px 8px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
</style>
<script>${plotlyJs.replace(/<\/script/gi, "<\\/script")}</script>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${introHtml}
<div class="figs">
${blocks}
</div>
<script>
for (const [id, fig] of [
${specs}
]) {
  Plotly.newPlot(id, { data: fig.data, layout: fig.layout, frames: fig.frames, config: { responsive: false, ...(fig.config || {}) } });
}
</script>
</body>
</html>
`;
}

/** Escapes text for HTML content and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON safe inside a `<script>` element: `<`, `>`, `&` and line separators escaped as \u sequences. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
