import { describe, expect, it } from 'vitest';
import { deriveSeed, SEED_PURPOSES } from '../../../src/domain/seeds.js';

describe('deriveSeed', () => {
  it('keeps the recipes the code used before they were gathered (outputs of a seed stay byte-identical)', () => {
    const seed = 42;
    expect(deriveSeed(seed, 'split')).toBe(42);
    expect(deriveSeed(seed, 'prepare-train-order')).toBe(43);
    expect(deriveSeed(seed, 'prepare-test-order')).toBe(44);
    expect(deriveSeed(seed, 'channel-train-order')).toBe(42 ^ 0x5eed);
    expect(deriveSeed(seed, 'batch-order')).toBe(42 ^ 0x5eed);
    expect(deriveSeed(seed, 'augment')).toBe(42 ^ 0xa097);
    expect(deriveSeed(seed, 'dropout')).toBe(42 ^ 0xd409);
    expect(deriveSeed(seed, 'layer-init', 3)).toBe(42 * 1000 + 3 * 7919);
    expect(deriveSeed(3_000_000, 'layer-init', 1)).toBe((3_000_000 * 1000 + 7919) % 2147483647);
  });

  it('names every purpose once and gives each layer its own stream', () => {
    expect(new Set(SEED_PURPOSES).size).toBe(SEED_PURPOSES.length);
    const layers = [1, 2, 3, 4].map((i) => deriveSeed(7, 'layer-init', i));
    expect(new Set(layers).size).toBe(4);
    expect(deriveSeed(7, 'augment')).not.toBe(deriveSeed(7, 'batch-order'));
  });
});
