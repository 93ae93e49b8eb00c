import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { longLines, MAX } from '../../../scripts/check-line-length.mjs';

const run = promisify(execFile);
const script = join(process.cwd(), 'scripts', 'check-line-length.mjs');
const pad = (n: number) => ' '.repeat(n);

describe('check-line-length: no line over 120 characters, whatever it holds', () => {
  it('flags every kind of long line (code, comment, string, template), and nothing at exactly 120', () => {
    expect(MAX).toBe(120);
    const code = `${pad(4)}const total = ${Array.from({ length: 30 }, (_, i) => `v${i}`).join(' + ')};`;
    const lines = [
      'const a = 1;',
      'x'.repeat(120),
      code,
      `${pad(2)}// ${'word '.repeat(30)}`,
      ` * ${'word '.repeat(30)}`,
      `${pad(4)}throw new Error('${'x'.repeat(120)}');`,
      `${pad(4)}const m = \`${'y'.repeat(60)} \${value} ${'z'.repeat(60)}\`;`,
      `${pad(2)}f(${Array.from({ length: 8 }, () => `'${'x'.repeat(20)}'`).join(', ')});`,
    ];
    expect(longLines(lines.join('\n'))).toEqual(
      lines.map((l, i) => ({ line: i + 1, length: l.length })).filter((l) => l.length > 120),
    );
    expect(longLines(lines.join('\n')).map((l: { line: number }) => l.line)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  describe('the command', () => {
    let dir = '';
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('exits 1 naming file:line for a 121-character line, 0 at 120', async () => {
      dir = await mkdtemp(join(tmpdir(), 'df-line-length-'));
      await mkdir(join(dir, 'src'));
      const file = join(dir, 'src', 'long.ts');
      await writeFile(file, `const ok = 1;\n// ${'a'.repeat(117)}\n`);
      const good = await run(process.execPath, [script, dir]);
      expect(good.stdout).toContain('line length: ok (no line over 120 characters)');

      await writeFile(file, `const ok = 1;\n// ${'a'.repeat(118)}\n`);
      const bad = await run(process.execPath, [script, dir]).then(
        () => ({ code: 0, stdout: '' }),
        (e: { code: number; stdout: string }) => e,
      );
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/long\.ts:2: 121 characters \(at most 120\)/);
    });
  });
});
