import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { checkSubmission, readIdLabelFile, submissionError } from '../../../src/domain/submission.js';

const check = (text: string, expectedRows?: number) =>
  checkSubmission(Readable.from([Buffer.from(text)]), { expectedRows });
const codes = async (text: string, expectedRows?: number) =>
  (await check(text, expectedRows)).defects.map((d) => [d.line, d.code]);

describe('checkSubmission', () => {
  it('accepts a correct file (with or without trailing newline, CRLF)', async () => {
    for (const t of ['ImageId,Label\n1,3\n2,7\n', 'ImageId,Label\n1,3\n2,7', 'ImageId,Label\r\n1,3\r\n2,7\r\n']) {
      const r = await check(t, 2);
      expect(r).toMatchObject({ valid: true, rows: 2, defectCount: 0 });
    }
  });
  it.each([
    ['wrong header', 'imageid,label\n1,3\n2,7\n', [[1, 'HEADER']]],
    ['BOM', '\uFEFFImageId,Label\n1,3\n2,7\n', [[1, 'BOM']]],
    ['blank line inside', 'ImageId,Label\n1,3\n\n2,7\n', [[3, 'BLANK_LINE']]],
    ['two blank lines at the end', 'ImageId,Label\n1,3\n2,7\n\n\n', [[4, 'BLANK_LINE']]],
    ['extra field', 'ImageId,Label\n1,3,x\n2,7\n', [[2, 'FIELD_COUNT']]],
    ['id not integer', 'ImageId,Label\n1,3\n2.0,7\n', [[3, 'ID_NOT_INTEGER']]],
    ['id zero', 'ImageId,Label\n0,3\n2,7\n', [[2, 'ID_NOT_INTEGER']]],
    ['duplicate id', 'ImageId,Label\n1,3\n1,7\n', [[3, 'ID_DUPLICATE']]],
    [
      'ids out of order',
      'ImageId,Label\n2,3\n1,7\n',
      [
        [2, 'ID_OUT_OF_ORDER'],
        [3, 'ID_OUT_OF_ORDER'],
      ],
    ],
    [
      'label not integer',
      'ImageId,Label\n1,3.0\n2,\n',
      [
        [2, 'LABEL_NOT_INTEGER'],
        [3, 'LABEL_NOT_INTEGER'],
      ],
    ],
    ['label out of range', 'ImageId,Label\n1,10\n2,7\n', [[2, 'LABEL_OUT_OF_RANGE']]],
    ['spaces', 'ImageId,Label\n1, 3\n2,7\n', [[2, 'WHITESPACE']]],
  ])('%s', async (_name, text, expected) => {
    expect(await codes(text, 2)).toEqual(expected);
  });
  it('row count against the expected number, on the last line', async () => {
    expect(await codes('ImageId,Label\n1,3\n2,7\n3,1\n', 2)).toEqual([[4, 'ROW_COUNT']]);
    expect(await codes('ImageId,Label\n1,3\n', 28000)).toEqual([[2, 'ROW_COUNT']]);
  });
  it('empty file', async () => {
    expect((await codes('', 1)).map((d) => d[1])).toEqual(['EMPTY', 'ROW_COUNT']);
  });
  it('counts every defect but keeps the list bounded', async () => {
    const lines = ['ImageId,Label'];
    for (let i = 1; i <= 3000; i++) lines.push(`${i},x`);
    const r = await checkSubmission(Readable.from([lines.join('\n')]), { maxDefects: 100 });
    expect(r.defectCount).toBe(3000);
    expect(r.defects).toHaveLength(100);
    const err = submissionError('s.csv', r, 3);
    expect(err.message).toContain('s.csv:2: Label');
    expect(err.message).toContain('and 2997 more');
    expect(err.exitCode).toBe(2);
  });
});

describe('readIdLabelFile', () => {
  it('reads id → label in any order', async () => {
    const m = await readIdLabelFile(Readable.from(['ImageId,Label\n2,7\n1,3\n']), 'l.csv');
    expect([...m.entries()]).toEqual([
      [2, 7],
      [1, 3],
    ]);
  });
  it.each([
    ['ImageId,Label\n1,3\n1,4\n', 'l.csv:3:'],
    ['Id,Label\n1,3\n', 'l.csv:1:'],
    ['ImageId,Label\n1,12\n', 'l.csv:2:'],
  ])('rejects %j', async (text, where) => {
    await expect(readIdLabelFile(Readable.from([text]), 'l.csv')).rejects.toThrow(where);
  });
});
