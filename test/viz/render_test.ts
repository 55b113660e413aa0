import { assert, assertEquals, assertGreater, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import {
  displayFigure,
  extractSlices,
  findChromium,
  jupyterBundle,
  loadPlotlyJs,
  type NamedFigure,
  PLOTLY_MIME,
  PLOTLY_VERSION,
  renderHtml,
  renderPng,
  rocFigure,
  sliceFigure,
} from "../../src/viz/mod.ts";
import { createVolume, type Vec3 } from "../../src/io/mod.ts";
import { tempDir } from "../_support/python.ts";
import { decodePng } from "./_png_decode.ts";

const CHROMIUM = await findChromium();

function smallSliceFigure() {
  const shape: Vec3 = [40, 36, 12];
  const n = 40 * 36 * 12;
  const ct = new Int16Array(n), scores = new Float32Array(n), labels = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const i = p % 40, j = Math.floor(p / 40) % 36;
    const inside = (i - 20) ** 2 / 300 + (j - 18) ** 2 / 250 < 1;
    ct[p] = inside ? 40 + ((i * 7 + j * 3) % 50) : -1000;
    scores[p] = inside ? Math.exp(-((i - 26) ** 2 + (j - 15) ** 2) / 8) * 3 + ((i + j) % 5) * 0.05 : 0;
    labels[p] = (i - 26) ** 2 + (j - 15) ** 2 < 6 ? 1 : 0;
  }
  const affine = [1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];
  const stack = extractSlices({
    scores: createVolume(scores, shape, affine, "score"),
    labels: createVolume(labels, shape, affine, "label"),
    ct: createVolume(ct, shape, affine, "HU"),
  });
  return { stack, figure: sliceFigure(stack, { threshold: 0.5 }) };
}

Deno.test("jupyterBundle() holds the figure under the Plotly MIME type with a text fallback", () => {
  const figure = rocFigure([{ name: "x", fpr: [0, 1], tpr: [0, 1] }]);
  const bundle = jupyterBundle(figure);
  assertEquals(Object.keys(bundle), [PLOTLY_MIME, "text/plain"]);
  assertEquals(bundle[PLOTLY_MIME], JSON.parse(JSON.stringify(figure)));
  assertEquals(bundle["text/plain"], "<Plotly figure: Voxel ROC, 2 trace(s)>");
});

Deno.test("displayFigure() publishes the figure's bundle raw, resolves after the publisher, and rejects a bad wait", async () => {
  const figure = rocFigure([{ name: "x", fpr: [0, 1], tpr: [0, 1] }]);
  const events: string[] = [];
  const published: unknown[] = [];
  const display = async (bundle: unknown, options: { raw: true }) => {
    published.push(bundle, options);
    await new Promise((r) => setTimeout(r, 5));
    events.push("published");
  };
  await displayFigure(figure, { display, settleMs: 1 });
  events.push("returned");
  assertEquals(published, [jupyterBundle(figure), { raw: true }]);
  assertEquals(events, ["published", "returned"]);
  for (const settleMs of [-1, NaN, Infinity]) {
    await assertRejects(() => displayFigure(figure, { display, settleMs }), RangeError, "settleMs");
  }
  assertEquals(published.length, 2);
});

Deno.test("loadPlotlyJs() reads the pinned plotly.js bundle", async () => {
  const js = await loadPlotlyJs();
  assertStringIncludes(js.slice(0, 200), `plotly.js v${PLOTLY_VERSION}`);
  assertGreater(js.length, 1_000_000);
});

Deno.test("renderHtml() embeds plotly.js and every figure, and escapes figure text", async () => {
  const evil = "</script><script>alert(1)</script>";
  const figures: NamedFigure[] = [
    { id: "roc", title: `ROC ${evil}`, figure: rocFigure([{ name: evil, fpr: [0, 1], tpr: [0, 1] }]) },
    { id: "slices_a_axial", title: "slices", figure: smallSliceFigure().figure },
  ];
  const page = renderHtml(figures, { plotlyJs: await loadPlotlyJs(), title: "t <b>", introHtml: "<p>intro</p>" });
  assertStringIncludes(page, `plotly.js v${PLOTLY_VERSION}`);
  assertStringIncludes(page, '<div id="fig-roc"></div>');
  assertStringIncludes(page, '<div id="fig-slices_a_axial"></div>');
  assertStringIncludes(page, "<title>t &lt;b&gt;</title>");
  assertStringIncludes(page, "<p>intro</p>");
  assert(!page.includes("<script>alert(1)"), "figure text must not open a script");
  assertEquals(page.split("<script>").length, 3); // plotly.js and the figures, nothing else
  assertThrows(() => renderHtml([figures[0], figures[0]], { plotlyJs: "" }), RangeError, "used twice");
  assertThrows(() => renderHtml([{ ...figures[0], id: "Bad id" }], { plotlyJs: "" }), RangeError, '"Bad id"');
});

Deno.test("sliceFigure() embeds the CT as a PNG that decodes to the windowed slice", () => {
  const { stack, figure } = smallSliceFigure();
  const source = String(figure.data[0].source);
  const bytes = Uint8Array.from(atob(source.slice(source.indexOf(",") + 1)), (c) => c.charCodeAt(0));
  const png = decodePng(bytes);
  assertEquals([png.width, png.height], [stack.width, stack.height]);
  const grey = stack.ct[stack.initial]!;
  for (let p = 0; p < grey.length; p++) {
    assertEquals(Array.from(png.rgba.subarray(4 * p, 4 * p + 4)), [grey[p], grey[p], grey[p], 255]);
  }
});

Deno.test({
  name: "renderPng() writes a non-blank PNG of a figure with Chromium",
  ignore: CHROMIUM === null, // needs Debian's chromium (tasks/setup.sh test installs it; CI runs this test)
  async fn() {
    const { dir, cleanup } = await tempDir();
    try {
      const plotlyJs = await loadPlotlyJs();
      for (
        const figure of [
          { id: "roc", title: "ROC", figure: rocFigure([{ name: "a", fpr: [0, 0.1, 0.5, 1], tpr: [0, 0.6, 0.9, 1] }]) },
          { id: "slice", title: "slice", figure: smallSliceFigure().figure },
        ]
      ) {
        const path = `${dir}/figures/${figure.id}.png`;
        await renderPng(figure, path, { plotlyJs, chromium: CHROMIUM! });
        const png = decodePng(await Deno.readFile(path));
        const layout = figure.figure.layout as { width: number; height: number };
        assertEquals([png.width, png.height], [layout.width + 24, layout.height + 24]);
        // Not blank: many colours, and a good share of pixels that are not white.
        const colours = new Set<number>();
        let ink = 0;
        for (let p = 0; p < png.width * png.height; p++) {
          const [r, g, b] = png.rgba.subarray(4 * p, 4 * p + 3);
          colours.add((r << 16) | (g << 8) | b);
          if (r + g + b < 600) ink++;
        }
        assertGreater(colours.size, 30, `${figure.id}: ${colours.size} colours`);
        assertGreater(ink / (png.width * png.height), figure.id === "slice" ? 0.2 : 0.01, `${figure.id}: ink`);
      }
    } finally {
      await cleanup();
    }
  },
});

Deno.test("renderPng() names the file when no Chromium can run", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const figure = { id: "roc", title: "ROC", figure: rocFigure([]) };
    const error = await renderPng(figure, `${dir}/x.png`, { plotlyJs: "", chromium: "/bin/false" }).catch((e) => e);
    assert(error instanceof Error);
    assertStringIncludes(error.message, `Cannot render "${dir}/x.png": /bin/false exited with code 1`);
  } finally {
    await cleanup();
  }
});
