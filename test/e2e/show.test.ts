/**
 * `show` and `inspect --html` through the built binary: digits drawn as ASCII when piped (half
 * blocks with --style blocks), on train and test layouts, gzip and the competition zip; bad
 * selections are exit 2 without a stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { header } from '../helpers/kaggle-fixtures.js';
import { makeZip } from '../helpers/make-zip.js';

let dir: string;
/** A vertical bar of 255 at column `col` (rows 4..23): drawn as a 3-wide column of '@'. */
function bar(col: number): number[] {
  const px = new Array<number>(784).fill(0);
  for (let r = 4; r < 24; r++) for (let c = col; c < col + 3; c++) px[r * 28 + c] = 255;
  return px;
}
const train = () =>
  header('train') +
  '\n' +
  Array.from({ length: 12 }, (_, i) => `${i % 10},${bar(2 + 2 * (i % 10)).join(',')}`).join('\n') +
  '\n';
const test = () => header('test') + '\n' + Array.from({ length: 5 }, (_, i) => bar(3 * i).join(',')).join('\n') + '\n';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-show-'));
  await writeFile(join(dir, 'train.csv.gz'), gzipSync(train()));
  await writeFile(
    join(dir, 'digits.zip'),
    makeZip([
      { name: 'train.csv', data: train() },
      { name: 'test.csv', data: test() },
    ]),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('show (built binary)', () => {
  it('draws the chosen rows of a gzip train file in ASCII when piped, with labels', async () => {
    const r = await runCli(['show', join(dir, 'train.csv.gz'), '--rows', '2-3']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/train\.csv\.gz \(train layout\): 2 digit\(s\)/);
    // Row 2 is label 1 with its bar at columns 4..6; row 3 is label 2 at columns 6..8; panels are 30 columns apart.
    const art = lines.slice(2, 16);
    expect(art[2]).toBe('    @@@' + ' '.repeat(21) + '  ' + '      @@@');
    expect(art[1]).toBe('');
    expect(lines[16]).toMatch(/^#2 {2}label 1 +#3 {2}label 2$/);
  });

  it("--label picks from train, --ids from the zip's test member, --style blocks uses half blocks", async () => {
    const l = await runCli(['show', join(dir, 'digits.zip'), '--label', '1', '--limit', '2', '--json']);
    expect(l.code, l.stderr).toBe(0);
    const out = JSON.parse(l.stdout);
    expect(out).toMatchObject({ layout: 'train', file: expect.stringContaining('digits.zip:train.csv') });
    expect(out.digits.map((d: { row: number; label: number }) => [d.row, d.label])).toEqual([
      [2, 1],
      [12, 1],
    ]);
    expect(out.digits[0].pixels).toHaveLength(784);

    const t = await runCli([
      'show',
      join(dir, 'digits.zip'),
      '--member',
      'test.csv',
      '--ids',
      '2,9',
      '--style',
      'blocks',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('ImageId 2');
    expect(t.stdout.split('\n')[4]).toBe('   ███');
    expect(t.stdout).toContain('not in the file (it has 5 data rows): 9');
  });

  it('bad selections: exit 2, clear message, no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--member', 'test.csv', '--label', '3'], /SHOW_NO_LABELS/],
      [['--rows', '50-60'], /SHOW_NOTHING.*has 12 data rows/],
      [['--rows', '3-1'], /--rows must be a row or a range/],
      [['--rows', '1-2', '--label', '1'], /one of --rows, --label, --ids/],
      [['--member', 'nope.csv'], /ZIP_MEMBER_MISSING/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(['show', join(dir, 'digits.zip'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('inspect --html (built binary)', () => {
  it('writes the page next to nothing else, refuses to replace it without --force', async () => {
    const out = join(dir, 'page.html');
    const r = await runCli(['inspect', join(dir, 'digits.zip'), '--html', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`page: ${out}`);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('id="label-histogram-0"');
    expect(html).toContain('id="pixel-histogram-1"');
    const again = await runCli(['inspect', join(dir, 'digits.zip'), '--html', '-o', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('OUTPUT_EXISTS');
    const forced = await runCli(['inspect', join(dir, 'digits.zip'), '--html', '-o', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const def = await runCli(['inspect', join(dir, 'train.csv.gz'), '--html'], { cwd: dir });
    expect(def.code, def.stderr).toBe(0);
    expect(await readFile(join(dir, 'train.inspect.html'), 'utf8')).toContain('<canvas');
  });
});
