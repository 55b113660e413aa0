import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { listScans } from "../../src/ssl/mod.ts";
import { CT_DIR, tempDir } from "../_support/python.ts";

/** Creates empty files (listing never reads them) and folders under `dir`. */
async function touch(dir: string, names: string[]): Promise<void> {
  for (const name of names) {
    if (name.endsWith("/")) await Deno.mkdir(join(dir, name), { recursive: true });
    else await Deno.writeFile(join(dir, name), new Uint8Array());
  }
}

Deno.test("listScans() lists a folder's CT files, sorted, without label files", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await touch(dir, [
      "b.nii",
      "a.nii.gz",
      "c.NRRD",
      "phantom_0000_lesions.nii.gz",
      "phantom_0000_tissue.nii.gz",
      "case_organseg.nii.gz",
      "case_mask.nii.gz",
      "phantom_0000.json",
      "notes.txt",
      ".hidden.nii.gz",
      "sub/",
      "sub/d.nii.gz",
    ]);
    assertEquals(await listScans(dir), [join(dir, "a.nii.gz"), join(dir, "b.nii"), join(dir, "c.NRRD")]);
    assertEquals(await listScans(dir, { exclude: [] }), [
      join(dir, "a.nii.gz"),
      join(dir, "b.nii"),
      join(dir, "c.NRRD"),
      join(dir, "case_mask.nii.gz"),
      join(dir, "case_organseg.nii.gz"),
      join(dir, "phantom_0000_lesions.nii.gz"),
      join(dir, "phantom_0000_tissue.nii.gz"),
    ]);
  } finally {
    await cleanup();
  }
});

Deno.test("listScans() reads a manifest: paths relative to its folder, comments and blank lines skipped", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await touch(dir, ["lists/", "scans/", "scans/x.nii.gz", "scans/y.nrrd", "abs.nii"]);
    const manifest = join(dir, "lists", "train.txt");
    await Deno.writeTextFile(
      manifest,
      `# training scans\n\n../scans/y.nrrd\r\n  ../scans/x.nii.gz  \n   # indented comment\n${join(dir, "abs.nii")}\n`,
    );
    assertEquals(await listScans(manifest), [
      join(dir, "scans", "y.nrrd"),
      join(dir, "scans", "x.nii.gz"),
      join(dir, "abs.nii"),
    ]);
    assertEquals(await listScans(join(dir, "abs.nii")), [join(dir, "abs.nii")], "a volume file lists itself");
  } finally {
    await cleanup();
  }
});

Deno.test("listScans() lists the shared real CT folder without the organ segmentation", async () => {
  const paths = await listScans(CT_DIR);
  const names = paths.map((p) => p.slice(CT_DIR.length + 1));
  assertEquals(names.includes("totalseg_example_ct_sm_3mm.nii.gz"), true);
  assertEquals(names.includes("cip_ct-64_chest.nrrd"), true);
  assertEquals(names.some((n) => n.includes("organseg") || n.includes("/")), false);
});

Deno.test("listScans() names a missing folder or manifest", async () => {
  const error = await assertRejects(() => listScans("/nonexistent/scans"), Deno.errors.NotFound);
  assertStringIncludes(error.message, 'Cannot list scans in "/nonexistent/scans": it does not exist');
});

Deno.test("listScans() rejects a folder with no CT files, counting the label files it skipped", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let error = await assertRejects(() => listScans(dir), RangeError);
    assertStringIncludes(error.message, `"${dir}": the folder has no CT files: expected at least one`);
    await touch(dir, ["p_lesions.nii.gz", "readme.md"]);
    error = await assertRejects(() => listScans(dir), RangeError);
    assertStringIncludes(error.message, "(1 label file skipped)");
  } finally {
    await cleanup();
  }
});

Deno.test("listScans() names the missing files of a manifest with their lines", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await touch(dir, ["here.nii.gz"]);
    const manifest = join(dir, "list.txt");
    await Deno.writeTextFile(manifest, "here.nii.gz\n# gone\ngone.nii.gz\nalso_gone.nrrd\n");
    const error = await assertRejects(() => listScans(manifest), Deno.errors.NotFound);
    assertStringIncludes(error.message, `Cannot list scans in manifest "${manifest}"`);
    assertStringIncludes(
      error.message,
      `"${join(dir, "gone.nii.gz")}" (line 3), "${join(dir, "also_gone.nrrd")}" (line 4)`,
    );
    assertStringIncludes(error.message, "do not exist");
  } finally {
    await cleanup();
  }
});

Deno.test("listScans() rejects an empty manifest and entries that are not CT files", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const manifest = join(dir, "list.txt");
    await Deno.writeTextFile(manifest, "# nothing yet\n\n");
    let error = await assertRejects(() => listScans(manifest), RangeError);
    assertStringIncludes(error.message, "it lists no files");
    await Deno.writeTextFile(manifest, "scan.dcm\n");
    error = await assertRejects(() => listScans(manifest), RangeError);
    assertStringIncludes(error.message, `"${join(dir, "scan.dcm")}" (line 1) is not a CT file`);
  } finally {
    await cleanup();
  }
});
