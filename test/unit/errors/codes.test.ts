import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CloudError,
  ERROR_CODES,
  InternalError,
  InterruptedError,
  UserInputError,
  errorCodeWithExit,
  isErrorCode,
  type ErrorCode,
} from '../../../src/errors/index.js';
import { assertBucketName } from '../../../src/domain/sagemaker-plan.js';
import { labelCounts } from '../../../src/domain/dataset.js';
import { mapS3Error } from '../../../src/adapters/s3/errors.js';
import { resolveProbabilityFormat } from '../../../src/adapters/probability-file.js';
import { TABLE_BEGIN, TABLE_END, errorCodesTable, withErrorCodesTable } from '../../../src/errors/codes-table.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const srcDir = join(root, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
const sources = tsFiles(srcDir).map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));

const CLASS_EXIT: Record<string, number> = { UserInputError: 2, CloudError: 3, InternalError: 1 };
const CONSTRUCTION = /new\s+(UserInputError|CloudError|InternalError)\s*\(\s*([^,]*?)\s*,/g;

/** Every `new XError(<first argument>,` in src, with where it is. */
function constructions(): { cls: string; arg: string; where: string }[] {
  return sources.flatMap(({ file, text }) =>
    [...text.matchAll(CONSTRUCTION)].map((m) => ({
      cls: m[1]!,
      arg: m[2]!,
      where: `${file}:${text.slice(0, m.index).split('\n').length}`,
    })),
  );
}

describe('error code registry', () => {
  it('every code constructed in src is registered with the exit code of its error class', () => {
    const found = constructions().filter((c) => /^'[A-Z0-9_]+'$/.test(c.arg));
    expect(found.length).toBeGreaterThan(100);
    const wrong = found
      .map((c) => ({ ...c, code: c.arg.slice(1, -1) }))
      .filter((c) => !isErrorCode(c.code) || ERROR_CODES[c.code].exit !== CLASS_EXIT[c.cls])
      .map(
        (c) =>
          `${c.where}: new ${c.cls}('${c.code}') ` +
          `but the registry says ${isErrorCode(c.code) ? `exit ${ERROR_CODES[c.code].exit}` : 'nothing'}`,
      );
    expect(wrong).toEqual([]);
  });

  it(
    'no code is built at run time: a code argument is a literal or a typed variable, ' +
      'never a template or concatenation',
    () => {
      const built = constructions()
        .filter((c) => /[`+]/.test(c.arg))
        .map((c) => `${c.where}: ${c.arg}`);
      expect(built).toEqual([]);
    },
  );

  it('every registered code is used somewhere in src (no stale entries)', () => {
    const others = sources.filter((s) => !s.file.endsWith(join('errors', 'codes.ts')));
    const unused = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
      (code) => !others.some((s) => s.text.includes(`'${code}'`)),
    );
    expect(unused).toEqual([]);
  });

  it('the error classes exit with the code the registry gives', () => {
    expect(new UserInputError('USAGE', 'x').exitCode).toBe(ERROR_CODES.USAGE.exit);
    expect(new CloudError('S3_NETWORK', 'x').exitCode).toBe(ERROR_CODES.S3_NETWORK.exit);
    expect(new InternalError('METRICS_LENGTH', 'x').exitCode).toBe(ERROR_CODES.METRICS_LENGTH.exit);
    const i = new InterruptedError();
    expect([i.code, i.exitCode]).toEqual(['INTERRUPTED', ERROR_CODES.INTERRUPTED.exit]);
  });

  it('errorCodeWithExit accepts only registered codes of that exit code', () => {
    expect(errorCodeWithExit('CSV_WIDTH', 2)).toBe('CSV_WIDTH');
    expect(errorCodeWithExit('CSV_WIDTH', 3)).toBeUndefined();
    expect(errorCodeWithExit('NOT_A_CODE', 2)).toBeUndefined();
    expect(errorCodeWithExit('toString', 2)).toBeUndefined();
    expect(errorCodeWithExit(undefined, 1)).toBeUndefined();
  });

  it('the synonyms merged by the renovation stay merged', () => {
    for (const old of [
      'TRAIN_HAS_NO_LABELS',
      'UPLOAD_TRAIN_NO_LABELS',
      'DATA_NO_LABELS',
      'BUCKET_INVALID',
      'S3_NO_REGION',
      'FORMAT_UNKNOWN',
      'CSV_EMPTY',
    ]) {
      expect(isErrorCode(old), old).toBe(false);
    }
  });
});

describe('call sites of merged synonyms throw the one registered code', () => {
  it('a bad --bucket is S3_BUCKET_INVALID (was BUCKET_INVALID)', () => {
    expect(() => assertBucketName('Not_A_Bucket')).toThrow(
      expect.objectContaining({ code: 'S3_BUCKET_INVALID', exitCode: 2 }),
    );
  });

  it('no region for S3 is REGION_REQUIRED (was S3_NO_REGION)', () => {
    const e = mapS3Error(new Error('Region is missing'), { operation: 'upload', bucket: 'b', key: 'k' });
    expect([e.code, e.exitCode]).toEqual(['REGION_REQUIRED', 2]);
  });

  it('a dataset without labels is TRAIN_NO_LABELS (was DATA_NO_LABELS)', () => {
    const ds = { rows: 1, pixels: new Uint8Array(784), labels: undefined, numClasses: 10 } as unknown as Parameters<
      typeof labelCounts
    >[0];
    expect(() => labelCounts(ds)).toThrow(expect.objectContaining({ code: 'TRAIN_NO_LABELS', exitCode: 2 }));
  });

  it('an unknown --format is PROB_FORMAT_UNKNOWN (was FORMAT_UNKNOWN)', async () => {
    await expect(resolveProbabilityFormat('unused.csv', 'xml' as never)).rejects.toMatchObject({
      code: 'PROB_FORMAT_UNKNOWN',
      exitCode: 2,
    });
  });
});

describe('README "Error codes" table', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it(
    'equals the table generated from the registry (regenerate: ' +
      'npm run build && node scripts/error-codes-table.mjs)',
    () => {
      expect(withErrorCodesTable(readme)).toBe(readme);
    },
  );

  it('lists every code once with its exit code', () => {
    const section = readme.slice(readme.indexOf(TABLE_BEGIN), readme.indexOf(TABLE_END));
    const rows = [...section.matchAll(/^\| `([A-Z0-9_]+)` \| (\d+) /gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual((Object.keys(ERROR_CODES) as ErrorCode[]).sort().map((c) => [c, ERROR_CODES[c].exit]));
  });

  it('the generator notices a stale table', () => {
    const stale = readme.replace(/^\| `USAGE` \|.*$/m, '| `USAGE` | 2 (input) | old text |');
    expect(stale).not.toBe(readme);
    expect(withErrorCodesTable(stale)).toBe(readme);
    expect(errorCodesTable()).toContain('| `USAGE` | 2 (input) |');
  });
});
