/**
 * Dropout masks of local training. Each mask is a pure function of (stream seed, step, example,
 * site): the index of the optimisation step, the example's position in the whole batch and the
 * dropout layer, so a batch split over threads draws exactly the masks one thread would, and the
 * same seed gives the same masks. Inverted dropout: a kept unit is scaled by 1 / (1 - rate) while
 * training, so the trained model needs no change at inference.
 */
import { mulberry32 } from './random.js';

/** A 32-bit mix (murmur3's finaliser) of the running hash `h` with `v`. */
function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593) ^ (h >>> 16);
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Where a step's masks come from: the dropout stream's seed and the step's index (0-based). */
export interface DropoutDraw {
  seed: number;
  step: number;
}

/**
 * Writes the mask of `units` units of one example at one dropout site into out[offset ..]: 0 with
 * probability `rate`, else 1 / (1 - rate). Units are drawn with mulberry32's sequence from a start
 * hashed from (seed, step, example, site).
 */
export function dropoutMask(
  draw: DropoutDraw,
  example: number,
  site: number,
  rate: number,
  units: number,
  out: Float32Array,
  offset = 0,
): void {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  const keep = 1 / (1 - rate);
  const rng = mulberry32(mix(mix(mix(mix(0x9e3779b9, draw.seed >>> 0), draw.step >>> 0), example >>> 0), site >>> 0));
  for (let i = 0; i < units; i++) out[offset + i] = rng() < rate ? 0 : keep;
}
