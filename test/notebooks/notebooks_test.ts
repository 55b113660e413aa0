/**
 * Executes every notebook in notebooks/ headless on the Deno kernel (`jupyter nbconvert --execute`), failing on any
 * cell error. `tasks/setup.sh test` installs Debian's Jupyter and registers the Deno kernel.
 */
import { assert, assertEquals } from "@std/assert";
import { tempDir } from "../_support/python.ts";

const JUPYTER = "/usr/bin/jupyter";
const NOTEBOOKS = new URL("../../notebooks/", import.meta.url).pathname;

function hasJupyter(): boolean {
  try {
    Deno.statSync(JUPYTER);
    return true;
  } catch {
    return false;
  }
}

/** Runs one notebook headless and returns its error outputs and the number of Plotly figures it displayed. */
async function executeNotebook(name: string): Promise<{ errors: unknown[]; figures: number }> {
  const { dir, cleanup } = await tempDir();
  try {
    const out = await new Deno.Command(JUPYTER, {
      // nbclient waits only 4 s (its default) for a cell's outputs after the execute reply and then drops them
      // silently; a figure display of several MB under CI load can take longer, so wait up to 120 s, and fail
      // loudly rather than lose output.
      args: [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.iopub_timeout=120",
        "--ExecutePreprocessor.raise_on_iopub_timeout=True",
        `${NOTEBOOKS}${name}`,
        "--output",
        `${dir}/out.ipynb`,
      ],
      cwd: NOTEBOOKS,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, `nbconvert failed for ${name}:\n${stderr.slice(-3000)}`);
    const nb = JSON.parse(await Deno.readTextFile(`${dir}/out.ipynb`));
    const errors = nb.cells.flatMap((c: { outputs?: { output_type: string }[] }) =>
      (c.outputs ?? []).filter((o) => o.output_type === "error")
    );
    const figures = nb.cells.flatMap((c: { outputs?: { data?: Record<string, unknown> }[] }) =>
      (c.outputs ?? []).filter((o) => o.data && "application/vnd.plotly.v1+json" in o.data)
    );
    return { errors, figures: figures.length };
  } finally {
    await cleanup();
  }
}

const names: string[] = [];
for (const e of Deno.readDirSync(NOTEBOOKS)) if (e.name.endsWith(".ipynb")) names.push(e.name);
names.sort();

for (const name of names) {
  Deno.test({
    // Ignored only where Jupyter is absent (tasks/setup.sh test installs it; CI runs it).
    name: `notebook ${name} runs top to bottom on the Deno kernel without errors`,
    ignore: !hasJupyter(),
    async fn() {
      // Deno 2.9's kernel publishes display data asynchronously to the cell's idle status, and nbclient drops what
      // arrives after idle; the notebooks show figures with displayFigure(), which keeps the cell busy 500 ms after
      // publishing, and a run that still lost its figures to that race runs once more (and says so) before failing.
      let result = await executeNotebook(name);
      if (result.figures === 0) {
        console.warn(`${name}: no Plotly figure arrived before the cells went idle; running it once more`);
        result = await executeNotebook(name);
      }
      assertEquals(result.errors, []);
      assert(result.figures > 0, `${name} displays no Plotly figure`);
    },
  });
}
