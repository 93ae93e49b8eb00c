/**
 * The fast parser's row path (a data row parsed straight from its first byte, its end found by the
 * parser) against the csv-parse reference parser: every row's bytes, every problem and its line,
 * for lines at the edges of that path, many rows per source chunk (the row buffer grows in the
 * middle of a chunk) and sources that reuse one buffer for every chunk.
 */
import { describe, expect, it } from 'vitest';
import { parseKaggleCsvFast } from '../../../../src/domain/csv/fast-parser.js';
import { parseKaggleCsvReference } from '../../../../src/domain/csv/reference-parser.js';
import type { CsvProblem } from '../../../../src/domain/csv/csv-problem.js';
import type { ParseOptions } from '../../../../src/domain/csv/parse-options.js';
import { header, testRow, trainRow } from '../../../helpers/kaggle-fixtures.js';

type Outcome = { error?: string; rows: number; pixels: string; labels: number[]; problems: CsvProblem[] };

/** Views of ONE reused buffer, `size` bytes at a time (what the scan threads hand the parser). */
function* reusedBuffer(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  const buf = new Uint8Array(size);
  for (let at = 0; at < bytes.length; at += size) {
    const n = Math.min(size, bytes.length - at);
    buf.set(bytes.subarray(at, at + n));
    yield buf.subarray(0, n);
  }
  buf.fill(0x2c); // anything the parser kept a view of is now commas
}

async function* copies(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

async function run(
  parser: typeof parseKaggleCsvFast,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: Partial<ParseOptions> = {},
): Promise<Outcome> {
  const problems: CsvProblem[] = [];
  const out: Outcome = { rows: 0, pixels: '', labels: [], problems };
  const hex = (px: Uint8Array) => Buffer.from(px).toString('hex'); // chunking-independent when joined
  try {
    for await (const c of parser(source as AsyncIterable<Uint8Array>, {
      file: 'f.csv',
      layout: 'auto',
      header: 'auto',
      numClasses: 10,
      chunkRows: 4,
      onProblem: (p) => problems.push(p),
      ...options,
    })) {
      out.rows += c.rows;
      out.pixels += hex(c.pixels.subarray(0, c.rows * 784));
      if (c.labels) out.labels.push(...c.labels.subarray(0, c.rows));
    }
  } catch (e) {
    out.error = `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
  return out;
}

const rows = (n: number, layout: 'train' | 'test') =>
  Array.from({ length: n }, (_, i) => (layout === 'train' ? trainRow(i % 10, i) : testRow(i)));

describe('fast parser row path == csv-parse reference', () => {
  const cases: [string, string][] = [
    ['LF', [header('train'), ...rows(40, 'train')].join('\n') + '\n'],
    ['CRLF', [header('train'), ...rows(40, 'train')].join('\r\n') + '\r\n'],
    ['no final newline', [header('train'), ...rows(40, 'train')].join('\n')],
    ['no final newline, CRLF', [header('test'), ...rows(30, 'test')].join('\r\n')],
    ['no header', rows(30, 'test').join('\n') + '\n'],
    ['quoted header', [header('train').replace('label', '"label"'), ...rows(20, 'train')].join('\n') + '\n'],
    [
      'a trailing comma',
      [header('train'), ...rows(20, 'train').map((r, i) => (i === 3 ? r + ',' : r))].join('\n') + '\n',
    ],
    [
      'one field more',
      [header('train'), ...rows(20, 'train').map((r, i) => (i === 5 ? r + ',0' : r))].join('\n') + '\n',
    ],
    [
      'one field less',
      [header('train'), ...rows(20, 'train').map((r, i) => (i === 5 ? r.replace(/,\d+$/, '') : r))].join('\n') + '\n',
    ],
    [
      'a quoted pixel and leading zeros',
      [
        header('train'),
        ...rows(20, 'train').map((r, i) =>
          i === 2 ? r.replace(/,(\d+),/, ',"$1",') : i === 9 ? r.replace(/,(\d+)$/, ',00$1') : r,
        ),
      ].join('\n') + '\n',
    ],
    [
      'empty lines inside and at the end',
      [header('train'), ...rows(10, 'train'), '', '', ...rows(10, 'train'), '', ''].join('\n'),
    ],
  ];
  for (const [name, text] of cases) {
    it(name, async () => {
      const bytes = new TextEncoder().encode(text);
      const ref = await run(parseKaggleCsvReference, copies(bytes, 1 << 20));
      expect(ref.rows + ref.problems.length).toBeGreaterThan(0);
      // Whole file in one chunk (40 rows into a 16-row buffer: it grows mid-chunk), odd sizes, one reused buffer.
      for (const size of [bytes.length, 1, 7, 1570, 1571, 4099, 65536]) {
        expect(await run(parseKaggleCsvFast, copies(bytes, size)), `${name}, chunks of ${size}`).toEqual(ref);
        expect(await run(parseKaggleCsvFast, reusedBuffer(bytes, size)), `${name}, reused ${size}`).toEqual(ref);
      }
    });
  }

  it('headers, plain and unusual, are read as csv-parse reads them', async () => {
    const h = header('train');
    const headers = [
      h,
      h.replace('label', '"label"'),
      h.replace('pixel5,', '"pixel5",'),
      h.replace('pixel5,', '"pixel,5",'),
      h.replace('pixel5', ' pixel5'),
      h.replace('pixel5,', ''),
      h + ',',
      h.replace('label', 'lbl'),
      h.replace('pixel9,', 'pixel9\r,'),
      header('test'),
      header('test').replace('pixel0', 'label'),
    ];
    const outcomes = new Set<string>();
    for (const [i, line] of headers.entries()) {
      const bytes = new TextEncoder().encode([line, ...rows(3, 'train')].join('\n') + '\n');
      for (const mode of ['kaggle', 'auto'] as const) {
        const ref = await run(parseKaggleCsvReference, copies(bytes, 1 << 20), { header: mode, onProblem: undefined });
        const fast = await run(parseKaggleCsvFast, reusedBuffer(bytes, 4099), { header: mode, onProblem: undefined });
        expect(fast, `header ${i}, ${mode}`).toEqual(ref);
        outcomes.add(ref.error?.split(':')[0] ?? `${ref.rows} rows`);
      }
    }
    // Accepted headers, rejected headers, and a first line taken as data all occur.
    expect(outcomes.size).toBeGreaterThanOrEqual(3);
  });

  it('a row longer than --max-line-bytes stops the read on both paths', async () => {
    const bytes = new TextEncoder().encode([header('test'), ...rows(5, 'test')].join('\n') + '\n');
    const long = rows(1, 'test')[0].length;
    let stopped = 0;
    for (const maxLineBytes of [1000, long - 1, long, 8000]) {
      const opts = { maxLineBytes, header: 'kaggle' as const };
      const ref = await run(parseKaggleCsvReference, copies(bytes, 1 << 20), opts);
      for (const size of [bytes.length, 3000]) {
        expect(await run(parseKaggleCsvFast, reusedBuffer(bytes, size), opts), `max ${maxLineBytes}`).toEqual(ref);
      }
      if (ref.error?.startsWith('CSV_LINE_TOO_LONG')) stopped++;
    }
    expect(stopped).toBeGreaterThan(0);
  });

  it('a buffer that grows in the middle of a chunk keeps every row (rows written before the growth)', async () => {
    const text = [header('train'), ...rows(300, 'train')].join('\n') + '\n';
    const bytes = new TextEncoder().encode(text);
    const fast = await run(parseKaggleCsvFast, copies(bytes, bytes.length), { chunkRows: 1000, rowsHint: 16 });
    const expected = rows(300, 'train').map((r) => Uint8Array.from(r.split(',').slice(1).map(Number)));
    expect(fast.rows).toBe(300);
    expect(fast.pixels).toBe(Buffer.concat(expected).toString('hex'));
  });
});
