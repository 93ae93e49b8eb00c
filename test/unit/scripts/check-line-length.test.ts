import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { unfixable } from '../../../scripts/check-line-length.mjs';

const pad = (n: number) => ' '.repeat(n);

describe('check-line-length flags only what Prettier cannot wrap', () => {
  it('lets short lines and long code through (Prettier wraps code)', () => {
    expect(unfixable('const a = 1;')).toBeUndefined();
    const code = `${pad(4)}const total = ${Array.from({ length: 30 }, (_, i) => `v${i}`).join(' + ')};`;
    expect(code.length).toBeGreaterThan(120);
    expect(unfixable(code)).toBeUndefined();
    // Several short strings on one long line: each fits a line of its own.
    expect(
      unfixable(`${pad(2)}f(${Array.from({ length: 8 }, () => `'${'x'.repeat(20)}'`).join(', ')});`),
    ).toBeUndefined();
  });

  it('flags long comments and strings too long for any line', () => {
    expect(unfixable(`${pad(2)}// ${'word '.repeat(30)}`)).toBe('comment');
    expect(unfixable(` * ${'word '.repeat(30)}`)).toBe('comment');
    expect(unfixable(`${pad(4)}throw new Error('${'x'.repeat(120)}');`)).toBe('string');
    expect(unfixable(`${pad(4)}const m = \`${'y'.repeat(60)} \${value} ${'z'.repeat(60)}\`;`)).toBe('string');
    expect(unfixable(`${pad(4)}call(a, b); // ${'note '.repeat(25)}`)).toBe('comment');
  });

  it('reads escaped quotes inside a string as part of it', () => {
    expect(unfixable(`${pad(2)}const s = 'it\\'s ${'q'.repeat(120)}';`)).toBe('string');
  });
});
