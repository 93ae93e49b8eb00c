/**
 * Differential test: the fast byte-level parser and the csv-parse reference parser must accept
 * and reject exactly the same files, with the same rows and the same problems, whatever the
 * chunk boundaries. The corpus is generated from a seed: valid files and files with one or more
 * seeded defects.
 */
import { describe, expect, it } from 'vitest';
import { parseKaggleCsvFast } from '../../../../src/domain/csv/fast-parser.js';
import { parseKaggleCsvReference } from '../../../../src/domain/csv/reference-parser.js';
import type { CsvProblem } from '../../../../src/domain/csv/csv-problem.js';
import type { ParseOptions } from '../../../../src/domain/csv/parse-options.js';
import { mulberry32, type Rng } from '../../../../src/domain/random.js';
import { header } from '../../../helpers/kaggle-fixtures.js';

const MUTATIONS: ((fields: string[], rng: Rng) => string[])[] = [
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? '256' : x)),
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? '-3' : x)),
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? '1.5' : x)),
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? '' : x)),
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? ' 4' : x)),
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? '"12"' : x)), // quoted: valid CSV
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? '007' : x)), // leading zeros: valid
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? '0255' : x)),
  (f, r) => f.map((x, i) => (i === 1 + Math.floor(r() * 700) ? 'x' : x)),
  (f) => f.slice(0, -1),
  (f) => [...f, '0'],
  (f) => [...f, ''], // trailing comma
  (f) => [...f.slice(0, -1), '0', ''], // trailing comma after a zero
  (f) => [...f.slice(0, -2), ''], // one field short, ending in a comma
  (f) => ['12', ...f.slice(1)],
  (f) => ['a', ...f.slice(1)],
  () => [''],
];

function makeFile(seed: number): { text: string; layout: 'train' | 'test' } {
  const rng = mulberry32(seed);
  const layout = rng() < 0.7 ? 'train' : 'test';
  const crlf = rng() < 0.3;
  const eol = crlf ? '\r\n' : '\n';
  const rows = 3 + Math.floor(rng() * 12);
  const lines: string[] = [];
  const withHeader = rng() < 0.85;
  if (withHeader) lines.push(header(layout));
  for (let i = 0; i < rows; i++) {
    let fields = Array.from({ length: 784 }, () => (rng() < 0.8 ? '0' : String(Math.floor(rng() * 256))));
    if (layout === 'train') fields = [String(Math.floor(rng() * 10)), ...fields];
    if (rng() < 0.15) fields = MUTATIONS[Math.floor(rng() * MUTATIONS.length)](fields, rng);
    lines.push(fields.join(','));
  }
  let text = lines.join(eol);
  if (rng() < 0.7) text += eol;
  if (rng() < 0.2) text += eol + eol;
  if (rng() < 0.1) text = '\ufeff' + text;
  return { text, layout };
}

async function* chunks(bytes: Uint8Array, rng: Rng): AsyncGenerator<Uint8Array> {
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(rng() * 5000);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

type Outcome = { error?: string; rows: number; pixels: number[]; labels: number[]; problems: CsvProblem[] };

async function run(
  parser: typeof parseKaggleCsvFast,
  bytes: Uint8Array,
  seed: number,
  collect: boolean,
  layout: ParseOptions['layout'],
  headerMode: ParseOptions['header'],
): Promise<Outcome> {
  const problems: CsvProblem[] = [];
  const out: Outcome = { rows: 0, pixels: [], labels: [], problems };
  try {
    for await (const c of parser(chunks(bytes, mulberry32(seed)), {
      file: 'f.csv',
      layout,
      header: headerMode,
      numClasses: 10,
      chunkRows: 4,
      onProblem: collect ? (p) => problems.push(p) : undefined,
    })) {
      out.rows += c.rows;
      // A cheap fingerprint of each row instead of all 784 values.
      for (let r = 0; r < c.rows; r++) {
        let h = 0;
        for (let j = 0; j < 784; j++) h = (h * 31 + c.pixels[r * 784 + j]) >>> 0;
        out.pixels.push(h);
        if (c.labels) out.labels.push(c.labels[r]);
      }
    }
  } catch (e) {
    out.error = `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
  return out;
}

describe('fast parser == csv-parse reference parser', () => {
  it('agrees on 300 generated files (valid and invalid), strict and collect mode, random chunking', async () => {
    let invalid = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { text, layout } = makeFile(seed);
      const bytes = new TextEncoder().encode(text);
      const headerMode =
        seed % 3 === 0
          ? 'auto'
          : text.replace(/^\ufeff/, '').startsWith('label') || text.replace(/^\ufeff/, '').startsWith('pixel')
            ? 'kaggle'
            : 'none';
      for (const collect of [false, true]) {
        const fast = await run(parseKaggleCsvFast, bytes, seed, collect, seed % 2 ? layout : 'auto', headerMode);
        const ref = await run(
          parseKaggleCsvReference,
          bytes,
          seed * 7,
          collect,
          seed % 2 ? layout : 'auto',
          headerMode,
        );
        // When a file is rejected, rows already handed out before the error depend on chunking: compare the error.
        if (fast.error || ref.error) expect(fast.error, `seed ${seed} collect=${collect}`).toEqual(ref.error);
        else expect(fast, `seed ${seed} collect=${collect}`).toEqual(ref);
        if (!collect && fast.error) invalid++;
      }
    }
    // The corpus must really contain both kinds.
    expect(invalid).toBeGreaterThan(30);
    expect(invalid).toBeLessThan(270);
  });
});
