/**
 * `deno task phantoms --count N --seed S --out DIR [--shape 256,256,160] [--spacing 1.4,1.4,2] [--lesion-rate 0.8]
 * [--max-lesions 4] [--write-tissue]`: writes N synthetic CT phantoms, numbered from 0:
 *
 * - `DIR/phantom_0000.nii.gz`: CT in HU, int16;
 * - `DIR/phantom_0000_lesions.nii.gz`: lesion mask, uint8 0/1;
 * - `DIR/phantom_0000.json`: the generator's `PhantomInfo` plus `index` and `baseSeed`;
 * - with `--write-tissue`, also `DIR/phantom_0000_tissue.nii.gz`: the ground-truth tissue labels (uint8, an index
 *   into `TISSUES` of src/data; lesions are not in it), on the CT's grid and affine — the input of `deno task oracle`.
 *
 * Phantom i uses the seed `deriveSeed(S, i)`, so it is the same whatever N is. Output paths go to stdout, progress
 * to stderr; bad flags exit with code 2.
 *
 * @module
 */
import { join } from "node:path";
import { deriveSeed, generatePhantom } from "../src/data/mod.ts";
import { writeJsonAtomic, writeVolume } from "../src/io/mod.ts";
import { intFlag, numberFlag, parseFlags, progressBar, requireFlag, runTask, vec3Flag } from "./_cli.ts";

const USAGE = `usage: deno task phantoms --count N --out DIR [--seed S] [--shape I,J,K] [--spacing X,Y,Z]
                            [--lesion-rate P] [--max-lesions M] [--write-tissue]
  --count N          phantoms to write (phantom_0000 … phantom_<N-1>)
  --out DIR          output folder (created if needed)
  --seed S           base seed, an integer (default 0)
  --shape I,J,K      voxels per phantom (default 256,256,160)
  --spacing X,Y,Z    voxel size in mm (default 1.4,1.4,2)
  --lesion-rate P    probability that a phantom has lesions, in [0, 1] (default 0.8)
  --max-lesions M    most lesions per phantom (default 4)
  --write-tissue     also write phantom_NNNN_tissue.nii.gz: tissue labels (uint8), for deno task oracle`;

await runTask("phantoms", async () => {
  const { values } = parseFlags({
    count: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    shape: { type: "string" },
    spacing: { type: "string" },
    "lesion-rate": { type: "string" },
    "max-lesions": { type: "string" },
    "write-tissue": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const count = intFlag(requireFlag(values.count, "--count"), "--count", 0, 1, 10000);
  const out = requireFlag(values.out, "--out");
  const seed = intFlag(values.seed, "--seed", 0, -(2 ** 53 - 1), 2 ** 53 - 1);
  const shape = vec3Flag(values.shape, "--shape", [256, 256, 160], true);
  const spacingMm = vec3Flag(values.spacing, "--spacing", [1.4, 1.4, 2]);
  const lesionRate = numberFlag(values["lesion-rate"], "--lesion-rate", 0.8, 0, 1);
  const maxLesions = intFlag(values["max-lesions"], "--max-lesions", 4, 1, 255);
  const writeTissue = values["write-tissue"] ?? false;

  await Deno.mkdir(out, { recursive: true });
  const progress = progressBar("phantoms");
  progress(0, count);
  for (let index = 0; index < count; index++) {
    const phantom = generatePhantom(deriveSeed(seed, index), { shape, spacingMm, lesionRate, maxLesions });
    const stem = join(out, `phantom_${String(index).padStart(4, "0")}`);
    const paths = [`${stem}.nii.gz`, `${stem}_lesions.nii.gz`, `${stem}.json`];
    await writeVolume(paths[0], phantom.ct, { datatype: "int16" });
    await writeVolume(paths[1], phantom.lesions, { datatype: "uint8" });
    await writeJsonAtomic(paths[2], { ...phantom.info, index, baseSeed: seed });
    if (writeTissue) {
      paths.push(`${stem}_tissue.nii.gz`);
      await writeVolume(paths[3], phantom.tissue, { datatype: "uint8" });
    }
    for (const p of paths) console.log(p);
    progress(index + 1, count, `${phantom.info.lesions.length} lesion(s)`);
  }
});
