import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKaggleCsvFile, streamKaggleCsvFile } from '../../../src/adapters/kaggle-csv-file.js';
import { header, rowValues, testCsv, testRow, trainCsv, trainRow } from '../../helpers/kaggle-fixtures.js';
import { makeZip } from '../../helpers/make-zip.js';
import type { CsvProblem } from '../../../src/domain/csv/csv-problem.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-reader-'));
});

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

async function expectError(path: string, code: string, message: RegExp) {
  for (const parser of ['fast', 'reference'] as const) {
    const err = await readKaggleCsvFile(path, { parser }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err, `${parser} should reject`).toBeDefined();
    expect(err!.code, parser).toBe(code);
    expect(err!.message, parser).toMatch(message);
  }
}

describe('readKaggleCsvFile: valid layouts', () => {
  it('reads a train layout into Uint8Array pixels and labels', async () => {
    const p = await file('train.csv', trainCsv(25));
    const r = await readKaggleCsvFile(p);
    expect(r.layout).toBe('train');
    expect(r.rows).toBe(25);
    expect(r.dataset.pixels).toBeInstanceOf(Uint8Array);
    expect(r.dataset.pixels.length).toBe(25 * 784);
    expect(Array.from(r.dataset.labels!.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(Array.from(r.dataset.pixels.subarray(3 * 784, 4 * 784))).toEqual(rowValues(3));
  });

  it('reads a test layout (no label column)', async () => {
    const p = await file('test.csv', testCsv(7));
    const r = await readKaggleCsvFile(p);
    expect(r.layout).toBe('test');
    expect(r.dataset.labels).toBeUndefined();
    expect(Array.from(r.dataset.pixels.subarray(6 * 784))).toEqual(rowValues(6));
  });

  it('accepts a UTF-8 BOM, CRLF line ends and a blank trailing line', async () => {
    const p = await file('bom.csv', '\ufeff' + trainCsv(3, '\r\n') + '\r\n');
    const r = await readKaggleCsvFile(p);
    expect(r.rows).toBe(3);
    expect(Array.from(r.dataset.pixels.subarray(784 * 2))).toEqual(rowValues(2));
  });

  it('accepts a last line without a newline', async () => {
    const p = await file('nonl.csv', `${header('test')}\n${testRow(1)}\n${testRow(2)}`);
    const r = await readKaggleCsvFile(p);
    expect(r.rows).toBe(2);
    expect(Array.from(r.dataset.pixels.subarray(784))).toEqual(rowValues(2));
  });

  it('reads gzip by content, whatever the name', async () => {
    const p = await file('train.csv.gz', gzipSync(trainCsv(5)));
    expect((await readKaggleCsvFile(p)).rows).toBe(5);
    const q = await file('disguised.csv', gzipSync(trainCsv(4)));
    expect((await readKaggleCsvFile(q)).rows).toBe(4);
  });

  it('reads a member of a zip archive', async () => {
    const p = await file(
      'dr.zip',
      makeZip([
        { name: 'train.csv', data: trainCsv(6) },
        { name: 'test.csv', data: testCsv(3) },
      ]),
    );
    expect((await readKaggleCsvFile(p, { zipMember: 'test.csv' })).rows).toBe(3);
    await expect(readKaggleCsvFile(p)).rejects.toMatchObject({ code: 'ZIP_MEMBER_REQUIRED' });
  });

  it('reads Linear Learner files (no header, label first) with header none or auto', async () => {
    const body = [trainRow(3, 1), trainRow(4, 2)].join('\n') + '\n';
    const p = await file('ll.csv', body);
    for (const header of ['none', 'auto'] as const) {
      const r = await readKaggleCsvFile(p, { header });
      expect(r.layout).toBe('train');
      expect(r.hasHeader).toBe(false);
      expect(Array.from(r.dataset.labels!)).toEqual([3, 4]);
    }
  });

  it('accepts another declared class set', async () => {
    const p = await file('c12.csv', `${header('train')}\n${trainRow(11, 1)}\n`);
    await expectError(p, 'CSV_LABEL', /expected a class label 0-9, found '11'/);
    expect((await readKaggleCsvFile(p, { numClasses: 12 })).dataset.labels![0]).toBe(11);
  });

  it('streams in chunks with the right first rows, across 1 MiB read boundaries', async () => {
    const p = await file('big.csv', trainCsv(1500));
    let seen = 0;
    for await (const c of streamKaggleCsvFile(p, { chunkRows: 400 })) {
      expect(c.firstRow).toBe(seen);
      expect(Array.from(c.pixels.subarray(0, 784))).toEqual(rowValues(seen));
      seen += c.rows;
    }
    expect(seen).toBe(1500);
  });
});

describe('readKaggleCsvFile: bad input gives a clear error naming file, line and column', () => {
  it('a row with a missing field', async () => {
    const lines = trainCsv(3).split('\n');
    lines[2] = lines[2].replace(/,\d+$/, '');
    const p = await file('short.csv', lines.join('\n'));
    await expectError(p, 'CSV_WIDTH', /short\.csv:3: expected 785 fields, found 784/);
  });

  it('a row with an extra field', async () => {
    const lines = testCsv(3).split('\n');
    lines[3] += ',0';
    const p = await file('long.csv', lines.join('\n'));
    await expectError(p, 'CSV_WIDTH', /long\.csv:4: expected 784 fields, found 785/);
  });

  it('a pixel out of range, negative, decimal, or not a number', async () => {
    const cases: [string, RegExp][] = [
      ['256', /found '256'/],
      ['-1', /found '-1'/],
      ['12.5', /found '12\.5'/],
      ['abc', /found 'abc'/],
      ['', /found ''/],
      [' 7', /found ' 7'/],
    ];
    for (const [bad, msg] of cases) {
      const vals = rowValues(0).map(String);
      vals[4] = bad;
      const p = await file(
        `px-${cases.indexOf(cases.find((c) => c[0] === bad)!)}.csv`,
        `${header('train')}\n${trainRow(1, 1)}\n5,${vals.join(',')}\n`,
      );
      await expectError(
        p,
        'CSV_VALUE',
        new RegExp(`:3: column 6 \\(pixel4\\): expected an integer 0-255, ${msg.source}`),
      );
    }
  });

  it('a label outside 0-9', async () => {
    const p = await file('label.csv', `${header('train')}\n${trainRow(10, 1)}\n`);
    await expectError(p, 'CSV_LABEL', /label\.csv:2: column 1 \(label\): expected a class label 0-9, found '10'/);
  });

  it('a wrong header name or order', async () => {
    const h = header('train').replace('pixel1,pixel2', 'pixel2,pixel1');
    const p = await file('hdr.csv', `${h}\n${trainRow(1, 1)}\n`);
    await expectError(p, 'CSV_HEADER', /hdr\.csv:1: header column 3: expected 'pixel1', found 'pixel2'/);
  });

  it('a train file where a test file is expected', async () => {
    const p = await file('mix.csv', trainCsv(2));
    await expect(readKaggleCsvFile(p, { layout: 'test' })).rejects.toMatchObject({ code: 'CSV_HEADER' });
  });

  it('an empty line in the middle', async () => {
    const p = await file('gap.csv', `${header('test')}\n${testRow(1)}\n\n${testRow(2)}\n`);
    await expectError(p, 'CSV_EMPTY_LINE', /gap\.csv:3: empty line/);
  });

  it('an empty file and a header without rows', async () => {
    await expectError(await file('empty.csv', ''), 'CSV_NO_ROWS', /empty\.csv:1: the file is empty/);
    await expectError(await file('hdronly.csv', header('test') + '\n'), 'CSV_NO_ROWS', /no data rows/);
  });

  it('a missing file and a corrupt gzip', async () => {
    await expect(readKaggleCsvFile(join(dir, 'nope.csv'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const gz = gzipSync(trainCsv(50));
    const p = await file('bad.csv.gz', gz.subarray(0, gz.length - 200));
    await expect(readKaggleCsvFile(p)).rejects.toMatchObject({ code: 'GZIP_INVALID' });
  });

  it('collect mode reports every problem with its line and keeps the good rows', async () => {
    const lines = trainCsv(6).split('\n');
    lines[2] = lines[2] + ',1';
    lines[5] = lines[5].replace(/^\d/, 'x');
    const p = await file('many.csv', lines.join('\n'));
    const problems: CsvProblem[] = [];
    const r = await readKaggleCsvFile(p, { onProblem: (q) => problems.push(q) });
    expect(problems.map((q) => [q.kind, q.line])).toEqual([
      ['width', 3],
      ['label', 6],
    ]);
    expect(r.rows).toBe(4);
  });
});
