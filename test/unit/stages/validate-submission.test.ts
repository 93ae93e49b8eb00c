import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  assertValidSubmission,
  countCsvDataRows,
  validateSubmissionStage,
} from '../../../src/stages/validate-submission.js';
import { defaultDeps } from '../../../src/runtime/deps.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'validate-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const pixelsHeader = Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',');
const pixelRow = new Array(784).fill(0).join(',');

describe('validateSubmissionStage', () => {
  it('takes the expected row count from the test file (.csv and .csv.gz)', async () => {
    const test = join(dir, 'test.csv');
    const text = `${pixelsHeader}\n${pixelRow}\n${pixelRow}\n${pixelRow}\n`;
    await writeFile(test, text);
    await writeFile(join(dir, 'test.csv.gz'), gzipSync(text));
    expect(await countCsvDataRows(test)).toBe(3);
    expect(await countCsvDataRows(join(dir, 'test.csv.gz'))).toBe(3);
    const sub = join(dir, 's.csv');
    await writeFile(sub, 'ImageId,Label\n1,3\n2,7\n');
    const r = await validateSubmissionStage({ file: sub, test }, defaultDeps());
    expect(r).toMatchObject({ valid: false, expectedRows: 3, expectedRowsFrom: 'test', rows: 2 });
    expect(r.defects).toEqual([{ line: 3, code: 'ROW_COUNT', message: '2 data rows, expected 3' }]);
    expect(() => assertValidSubmission(r)).toThrow(/s\.csv:3: 2 data rows, expected 3/);
  });
  it('--rows wins over --test; a valid file passes', async () => {
    const sub = join(dir, 's.csv');
    await writeFile(sub, 'ImageId,Label\n1,3\n2,7\n');
    const r = await validateSubmissionStage({ file: sub, rows: 2, test: join(dir, 'missing.csv') }, defaultDeps());
    expect(r).toMatchObject({ valid: true, expectedRowsFrom: 'rows' });
    expect(() => assertValidSubmission(r)).not.toThrow();
  });
  it('missing files are user errors', async () => {
    await expect(validateSubmissionStage({ file: join(dir, 'nope.csv') }, defaultDeps())).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      exitCode: 2,
    });
  });
});
