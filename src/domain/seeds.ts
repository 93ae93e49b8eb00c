/**
 * Every random stream in digitflow is seeded from the run seed through `deriveSeed(seed, purpose)`,
 * one named purpose per stream, so streams never share a sequence by accident and every recipe is
 * written once. The recipes are the ones the code used before they were gathered here (outputs of
 * a given seed stay byte-identical); a new purpose needs a new entry, never a reuse.
 */

/** What a derived seed is for. */
export type SeedPurpose =
  /** Stratified row splits (validation hold-out, prepare's test rows): `stratifiedSplit`. */
  | 'split'
  /** Row order of the prepared train.csv. */
  | 'prepare-train-order'
  /** Row order of the prepared test.csv. */
  | 'prepare-test-order'
  /** Row order of the Linear Learner train channel (`upload` and `run --engine sagemaker` share one writer). */
  | 'channel-train-order'
  /** Mini-batch order of local training (one permutation per epoch from this stream). */
  | 'batch-order'
  /** Image augmentation of local training (shifts, rotations, zoom). */
  | 'augment'
  /** Dropout masks of local training (one mask per step, example and dropout layer: dropout-mask.ts). */
  | 'dropout'
  /** Initial weights of layer `index` (1-based) of a local model. */
  | 'layer-init';

const INT31 = 2147483647;

const RECIPES: Record<SeedPurpose, (seed: number, index: number) => number> = {
  split: (s) => s,
  'prepare-train-order': (s) => s + 1,
  'prepare-test-order': (s) => s + 2,
  'channel-train-order': (s) => s ^ 0x5eed,
  'batch-order': (s) => s ^ 0x5eed,
  augment: (s) => s ^ 0xa097,
  dropout: (s) => s ^ 0xd409,
  'layer-init': (s, i) => (s * 1000 + i * 7919) % INT31,
};

/** The purposes, for tests and documentation. */
export const SEED_PURPOSES = Object.keys(RECIPES) as SeedPurpose[];

/** The seed of one random stream; `index` numbers streams of the same purpose (layers). */
export function deriveSeed(seed: number, purpose: SeedPurpose, index = 0): number {
  return RECIPES[purpose](seed, index);
}
