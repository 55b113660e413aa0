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
          args: ["nbconvert", "--to", "notebook", "--execute", `${NOTEBOOKS}${name}`, "--output", `${dir}/out.ipynb`],
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
        const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
        assert(code.every((c: { outputs: unknown[] }) => c.outputs.length > 0), "every code cell shows a result");
      } finally {
        await cleanup();
      }
    },
  });
}
