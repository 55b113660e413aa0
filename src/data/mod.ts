/**
 * Data stage: seeded synthetic CT phantoms with lesion masks (the benchmark), their tissue labels, seeded random
 * numbers, and the trivial intensity scores that the benchmark must not be solvable by.
 *
 * @module
 */
export * from "./rng.ts";
export * from "./tissues.ts";
export * from "./phantom.ts";
export * from "./trivial_scores.ts";
