import { describe, expect, it } from 'vitest';
import { parseKaggleCsvFast } from '../../../../src/domain/csv/fast-parser.js';
import { parseKaggleCsvReference } from '../../../../src/domain/csv/reference-parser.js';
import type { ParseOptions } from '../../../../src/domain/csv/parse-options.js';
import { header, trainCsv } from '../../../helpers/kaggle-fixtures.js';

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const opts = (maxLineBytes: number): ParseOptions => ({
  file: 'f.csv',
  layout: 'auto',
  header: 'kaggle',
  numClasses: 10,
  chunkRows: 1000,
  maxLineBytes,
});

async function outcome(
  parser: typeof parseKaggleCsvFast,
  bytes: Uint8Array,
  size: number,
  max: number,
): Promise<string> {
  try {
    let rows = 0;
    for await (const c of parser(chunks(bytes, size), opts(max))) rows += c.rows;
    return `ok ${rows}`;
  } catch (e) {
    return `${(e as { code: string }).code} ${(e as Error).message}`;
  }
}

describe('CSV bounds: both readers agree for every chunking', () => {
  const valid = Buffer.from(trainCsv(6));
  const longLine = Buffer.from(header('train') + '\n' + trainCsv(3).split('\n')[1] + '\n' + '1,'.repeat(5000) + '\n');
  const noBreak = Buffer.from(header('train') + '\n' + '0'.repeat(20_000));
  const binary = Buffer.concat([Buffer.from('label,pix'), Buffer.alloc(40), Buffer.from('\n1,2\n')]);
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(trainCsv(1), 'utf16le')]);
  for (const size of [1, 7, 1000, 1 << 20]) {
    it(`chunks of ${size} bytes`, async () => {
      for (const [bytes, max, want] of [
        [valid, 8192, 'ok 6'],
        [longLine, 8192, 'CSV_LINE_TOO_LONG f.csv:3: line longer than 8192 bytes'],
        [noBreak, 8192, 'CSV_LINE_TOO_LONG f.csv:2: line longer than 8192 bytes'],
        [binary, 8192, 'CSV_NOT_TEXT f.csv:1: not a text CSV: byte 10 is a NUL (binary data)'],
        [utf16, 8192, 'CSV_NOT_TEXT f.csv:1: not a text CSV: the file starts with a UTF-16 byte order mark'],
      ] as const) {
        if (size === 1 && bytes.length > 30_000) continue;
        expect(await outcome(parseKaggleCsvFast, bytes, size, max)).toBe(want);
        expect(await outcome(parseKaggleCsvReference, bytes, size, max)).toBe(want);
      }
    });
  }
  it('a line exactly at the limit passes; the header counts too', async () => {
    const line = trainCsv(1).split('\n')[1];
    const csv = Buffer.from(header('train') + '\n' + line + '\n');
    const limit = Math.max(header('train').length, line.length);
    expect(await outcome(parseKaggleCsvFast, csv, 100, limit)).toBe('ok 1');
    expect(await outcome(parseKaggleCsvFast, csv, 100, limit - 1)).toMatch(/^CSV_LINE_TOO_LONG f\.csv:[12]:/);
    expect(await outcome(parseKaggleCsvReference, csv, 100, limit - 1)).toBe(
      await outcome(parseKaggleCsvFast, csv, 100, limit - 1),
    );
  });
});
