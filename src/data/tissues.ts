/**
 * Tissue classes of the synthetic phantoms: the label values of a phantom's `tissue` volume and their typical CT
 * numbers. A label value is the index into {@linkcode TISSUES}.
 *
 * @module
 */

/** Tissue names; the label value of a tissue is its index here (0 = air outside the body). */
export const TISSUES = [
  "air",
  "skin",
  "subcutaneous_fat",
  "muscle",
  "mediastinal_fat",
  "abdominal_fat",
  "lung",
  "lung_vessel",
  "airway",
  "soft_tissue",
  "heart",
  "vessel",
  "liver",
  "liver_vessel",
  "gallbladder",
  "spleen",
  "stomach_wall",
  "stomach_content",
  "gas",
  "kidney",
  "renal_sinus",
  "bowel_wall",
  "bowel_content",
  "bone_cortical",
  "bone_trabecular",
  "disc",
  "spinal_canal",
] as const;

/** One of {@linkcode TISSUES}. */
export type TissueName = typeof TISSUES[number];

/** Label value of each tissue, e.g. `TISSUE.lung === 6`. */
export const TISSUE: { readonly [K in TissueName]: number } = Object.freeze(
  Object.fromEntries(TISSUES.map((name, label) => [name, label])) as { [K in TissueName]: number },
);

/**
 * Typical CT number of each tissue in HU, unenhanced (no contrast agent), before the per-patient jitter the phantom
 * generator adds. Sources: textbook ranges (fat −120..−80, muscle 35..55, liver 50..65, spleen 40..50, kidney 30..40,
 * blood 35..45, cortical bone 700..1000, cancellous bone 150..350, lung −900..−800).
 */
export const TISSUE_HU: { readonly [K in TissueName]: number } = Object.freeze({
  air: -1000,
  skin: 30,
  subcutaneous_fat: -105,
  muscle: 48,
  mediastinal_fat: -95,
  abdominal_fat: -90,
  lung: -855,
  lung_vessel: 40,
  airway: -990,
  soft_tissue: 35,
  heart: 38,
  vessel: 42,
  liver: 58,
  liver_vessel: 38,
  gallbladder: 8,
  spleen: 47,
  stomach_wall: 42,
  stomach_content: 14,
  gas: -960,
  kidney: 32,
  renal_sinus: -50,
  bowel_wall: 40,
  bowel_content: 18,
  bone_cortical: 850,
  bone_trabecular: 230,
  disc: 85,
  spinal_canal: 22,
});
