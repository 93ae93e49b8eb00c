import { describe, expect, it } from 'vitest';
import { digitArt, layoutPanels, parseIdList, parseRowRange } from '../../../src/domain/digit-art.js';

/** A 28x28 image with ink in the given (row, col) cells. */
function image(cells: Array<[number, number, number?]>): number[] {
  const px = new Array<number>(784).fill(0);
  for (const [r, c, v] of cells) px[r * 28 + c] = v ?? 255;
  return px;
}

describe('digitArt', () => {
  it('draws two pixel rows per line with half blocks: upper, lower, both, none', () => {
    const lines = digitArt(
      image([
        [0, 0],
        [1, 1],
        [0, 2],
        [1, 2],
        [27, 27],
        [2, 3, 95],
        [3, 3, 96],
      ]),
      'blocks',
    );
    expect(lines).toHaveLength(14);
    expect(lines.every((l) => [...l].length === 28)).toBe(true);
    expect(lines[0].slice(0, 4)).toBe('▀▄█ ');
    // 95 is below the ink threshold, 96 is ink (lower half of line 1).
    expect(lines[1][3]).toBe('▄');
    expect(lines[13][27]).toBe('▄');
  });

  it('ASCII uses an intensity ramp on the mean of the two pixels', () => {
    const lines = digitArt(
      image([
        [0, 0],
        [1, 0],
        [0, 1],
        [2, 2, 26],
      ]),
      'ascii',
    );
    expect(lines[0].slice(0, 2)).toBe('@=');
    expect(lines[1][2]).toBe(' '); // (26 + 0) / 2 = 13 → the blank step
    expect(lines.join('')).toMatch(/^[ .:\-=+*#%@]+$/);
  });
});

describe('layoutPanels', () => {
  it('puts as many digits per band as fit, each caption under its digit', () => {
    const p = (c: string) => ({ lines: ['ab', 'cd'], caption: c });
    expect(layoutPanels([p('x'), p('y'), p('z')], 6)).toBe('ab  ab\ncd  cd\nx   y\n\nab\ncd\nz');
    // Never fewer than one per band, and a long caption is cut to the digit's width.
    expect(layoutPanels([p('long caption')], 1)).toBe('ab\ncd\nlo');
  });
});

describe('selection parsing', () => {
  it('reads row ranges and id lists, refusing nonsense', () => {
    expect(parseRowRange('1-20')).toEqual({ start: 1, end: 20 });
    expect(parseRowRange('7')).toEqual({ start: 7, end: 7 });
    expect(parseRowRange('0-3')).toBeUndefined();
    expect(parseRowRange('5-2')).toBeUndefined();
    expect(parseRowRange('a-b')).toBeUndefined();
    expect(parseIdList('40,12,12')).toEqual([12, 40]);
    expect(parseIdList('1,,x')).toBeUndefined();
    expect(parseIdList('0')).toBeUndefined();
  });
});
