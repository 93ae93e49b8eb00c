import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSync, openSync } from 'node:fs';
import { countDuplicates, scanKaggleCsv } from '../../../src/adapters/csv-scan.js';
import { blockStart } from '../../../src/adapters/csv-scan-blocks.js';
import { header, PIX } from '../../helpers/kaggle-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-scan-'));
});

/** Digit-like rows: mostly background, some ink; every 7th row repeats an earlier one, every 50th is blank. */
function row(i: number, layout: 'train' | 'test'): string {
  const src = i % 7 === 6 ? i - 3 : i;
  const px = Array.from({ length: PIX }, (_, j) =>
    i % 50 === 49 ? 0 : (j * 13 + src * 7) % 9 === 0 ? (src * 31 + j) % 256 : 0,
  );
  return layout === 'train' ? `${src % 10},${px.join(',')}` : px.join(',');
}

function csv(
  rows: number,
  options: { layout?: 'train' | 'test'; eol?: string; headerLine?: boolean; lines?: (lines: string[]) => void } = {},
): string {
  const layout = options.layout ?? 'train';
  const lines = options.headerLine === false ? [] : [header(layout)];
  for (let i = 0; i < rows; i++) lines.push(row(i, layout));
  options.lines?.(lines);
  const eol = options.eol ?? '\n';
  return lines.join(eol) + eol;
}

// Small blocks: every file below is cut into many, taken in turn by the main thread and the scan threads.
const forced = { parallelMinBytes: 0, blockBytes: 100_000 };
const strip = <T extends { threads: number }>(r: T) => ({ ...r, threads: undefined });

describe('inspect scan: the two-core path gives exactly the one-core figures', () => {
  const cases: [string, string][] = [
    ['train, LF', csv(1500)],
    ['train, CRLF', csv(1200, { eol: '\r\n' })],
    ['test layout without header', csv(900, { layout: 'test', headerLine: false })],
    ['no final newline, trailing empty lines', csv(800).trimEnd() + '\n\n\n'],
  ];
  for (const [name, text] of cases) {
    it(name, async () => {
      const p = join(dir, `${name.replace(/\W+/g, '-')}.csv`);
      await writeFile(p, text);
      for (const threads of [2, 3]) {
        const par = await scanKaggleCsv(p, { ...forced, threads });
        const seq = await scanKaggleCsv(p, { threads: 1 });
        expect(par.threads).toBe(threads);
        expect(seq.threads).toBe(1);
        expect(strip(par)).toEqual(strip(seq));
      }
      const seq = await scanKaggleCsv(p, { threads: 1 });
      expect(seq.duplicateImages).toBeGreaterThan(0);
      expect(seq.blankImages).toBeGreaterThan(0);
      expect(seq.problemCount).toBe(0);
    });
  }

  it('falls back to one core on any problem in a block: problems and lines are the one-core ones', async () => {
    const variants: [string, (l: string[]) => void][] = [
      ['bad row late', (l) => (l[l.length - 5] = l[l.length - 5].replace(/^\d+,/, '12,'))],
      ['empty lines in the middle', (l) => l.splice(Math.floor(l.length / 2), 0, '', '')],
      ['short row in the first half', (l) => (l[10] = '1,2,3')],
    ];
    for (const [name, edit] of variants) {
      const p = join(dir, `${name.replace(/\W+/g, '-')}.csv`);
      await writeFile(p, csv(1000, { lines: edit }));
      const par = await scanKaggleCsv(p, { ...forced, threads: 2 });
      const seq = await scanKaggleCsv(p, { threads: 1 });
      expect(par.problemCount, name).toBeGreaterThan(0);
      expect(par.threads, name).toBe(1);
      expect(par).toEqual(seq);
    }
    // A wrong header is the file's one problem, on any path.
    const p = join(dir, 'bad-header.csv');
    await writeFile(p, csv(500).replace(/^label,pixel0/, 'lbl,pixel0'));
    const bad = await scanKaggleCsv(p, { ...forced, threads: 2 });
    expect(bad).toMatchObject({ rows: 0, problemCount: 1, problems: [{ kind: 'header', line: 1 }] });
  });

  it('blocks start only at a line that follows a non-empty line, and cover every line once', async () => {
    const p = join(dir, 'cuts.csv');
    const text = csv(400, { eol: '\r\n', lines: (l) => l.splice(200, 0, '', '', '') });
    await writeFile(p, text);
    const bytes = await readFile(p);
    const fd = openSync(p, 'r');
    try {
      let starts = 0;
      for (let at = 1; at < bytes.length; at += 997) {
        const s = blockStart(fd, at, bytes.length);
        expect(s).toBeGreaterThanOrEqual(at);
        // The first line start at or after `at` that qualifies: none is skipped.
        const next = bytes.indexOf(10, at - 1) + 1;
        if (s < bytes.length) {
          expect(bytes[s - 1]).toBe(10);
          expect(bytes[s]).toBeGreaterThanOrEqual(48);
          expect(bytes.subarray(s - 4, s).toString()).not.toMatch(/\n\r?\n$/);
          if (
            !/^\r?\n/.test(
              bytes
                .subarray(next - 3, next + 2)
                .toString()
                .slice(0, 2),
            )
          )
            starts++;
        }
      }
      expect(starts).toBeGreaterThan(100);
      expect(blockStart(fd, 0, bytes.length)).toBe(0);
      expect(blockStart(fd, bytes.length, bytes.length)).toBe(bytes.length);
      // Trailing empty lines: no block starts in them.
      await writeFile(p, csv(3) + '\n\n\n');
      const tail = (await readFile(p)).length;
      expect(blockStart(fd, tail - 2, tail)).toBe(tail);
    } finally {
      closeSync(fd);
    }
  });
});

describe('duplicate images: row digests', () => {
  it('counts exactly the repeated images of a file (the one-core and two-core scans)', async () => {
    const text = csv(1500);
    const p = join(dir, 'dups.csv');
    await writeFile(p, text);
    const images = text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.slice(l.indexOf(',') + 1));
    const expected = images.length - new Set(images).size;
    expect(expected).toBeGreaterThan(200);
    expect((await scanKaggleCsv(p, { threads: 1 })).duplicateImages).toBe(expected);
    expect((await scanKaggleCsv(p, { ...forced, threads: 2 })).duplicateImages).toBe(expected);
  });

  it('word path and byte path give the same digest; one changed pixel or two swapped words change it', async () => {
    const { RowStats, rowDigest } = await import('../../../src/adapters/csv-scan-stats.js');
    const base = new Uint8Array(PIX);
    for (let j = 100; j < 700; j += 37) base[j] = (j * 7) % 256 || 1;
    const variants = [
      base,
      ...[101, 102, 103, 399, 783].map((j) => Uint8Array.from(base, (v, k) => (k === j ? v + 1 : v))),
    ];
    const swapped = base.slice();
    swapped.set(base.subarray(100, 104), 200);
    swapped.set(base.subarray(200, 204), 100);
    variants.push(swapped, new Uint8Array(PIX));
    const digests = variants.map((px) => {
      const aligned = new RowStats(10);
      aligned.add({ pixels: px, rows: 1 });
      const buf = new Uint8Array(PIX + 1);
      buf.set(px, 1);
      const unaligned = new RowStats(10);
      unaligned.add({ pixels: buf.subarray(1), rows: 1 });
      expect(unaligned.digests[0]).toBe(aligned.digests[0]);
      expect(rowDigest(px, 0)).toBe(aligned.digests[0]);
      expect(Number.isSafeInteger(aligned.digests[0])).toBe(true);
      return aligned.digests[0];
    });
    expect(new Set(digests).size).toBe(variants.length);
  });
});

describe('countDuplicates: merged sorted parts', () => {
  it('counts every value beyond its first, within and across parts, for any number of parts', () => {
    const values = Array.from({ length: 3000 }, (_, i) => ((i * 7919) % 701) * 2 ** 40 + (i % 2));
    const expected = values.length - new Set(values).size;
    expect(expected).toBeGreaterThan(1000);
    for (const parts of [1, 2, 3, 5]) {
      const cut = values.map((_, i) => Math.floor((i * parts) / values.length));
      const sorted = Array.from({ length: parts }, (_, k) =>
        Float64Array.from(values.filter((_, i) => cut[i] === k)).sort(),
      );
      expect(countDuplicates(sorted), `${parts} parts`).toBe(expected);
    }
    expect(countDuplicates([new Float64Array(0), Float64Array.of(1, 1, 2)])).toBe(1);
    expect(countDuplicates([])).toBe(0);
  });
});

describe('borrowed chunks', () => {
  it('hold, while current, exactly the rows of copied chunks (chunks cut across 1 MiB reads)', async () => {
    const { streamKaggleCsvFile } = await import('../../../src/adapters/kaggle-csv-file.js');
    const p = join(dir, 'borrow.csv');
    await writeFile(p, csv(3000));
    const sig = (c: { pixels: Uint8Array; labels?: Uint8Array; rows: number; firstRow: number }) =>
      `${c.firstRow}:${c.rows}:${Buffer.from(c.pixels).toString('base64')}:` +
      Buffer.from(c.labels ?? []).toString('base64');
    const borrowed: string[] = [];
    for await (const c of streamKaggleCsvFile(p, { chunkRows: 256, borrowChunks: true })) borrowed.push(sig(c));
    const copied: string[] = [];
    for await (const c of streamKaggleCsvFile(p, { chunkRows: 256 })) copied.push(sig(c));
    expect(borrowed.length).toBeGreaterThan(3);
    expect(borrowed).toEqual(copied);
  });
});
