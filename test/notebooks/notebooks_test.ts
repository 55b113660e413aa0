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

const names: string[] = [];
for (const e of Deno.readDirSync(NOTEBOOKS)) if (e.name.endsWith(".ipynb")) names.push(e.name);
names.sort();

for (const name of names) {
  Deno.test({
    // Ignored only where Jupyter is absent (tasks/setup.sh test installs it; CI runs it).
    name: `notebook ${name} runs top to bottom on the Deno kernel without errors`,
    ignore: !hasJupyter(),
    async fn() {
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
        assertEquals(errors, []);
        // Awaited Deno.jupyter.display() outputs always arrive; a bare last-expression result can be published after
        // the kernel reports idle and be missed by nbclient, so only the awaited figures are required.
        const figures = nb.cells.flatMap((c: { outputs?: { data?: Record<string, unknown> }[] }) =>
          (c.outputs ?? []).filter((o) => o.data && "application/vnd.plotly.v1+json" in o.data)
        );
        assert(figures.length > 0, `${name} displays no Plotly figure`);
      } finally {
        await cleanup();
      }
    },
  });
}
