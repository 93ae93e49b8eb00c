import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { argmaxStage } from '../../../src/stages/argmax.js';
import { collectingReporter, systemClock, type StageDeps } from '../../../src/runtime/deps.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/probabilities/${name}`, import.meta.url));
let dir: string;
let deps: StageDeps & { reporter: ReturnType<typeof collectingReporter> };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'argmax-'));
  deps = { reporter: collectingReporter(), clock: systemClock };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('argmaxStage', () => {
  it.each(['local.csv', 'linear-learner.jsonl', 'linear-learner.json', 'aml.csv'])(
    'writes ImageId,Label from %s',
    async (name) => {
      const output = join(dir, 'submission.csv');
      const r = await argmaxStage({ input: fixture(name), output }, deps);
      expect(await readFile(output, 'utf8')).toBe('ImageId,Label\n1,3\n2,7\n3,2\n4,0\n');
      expect(r.rows).toBe(4);
      expect(r.warnings).toBe(0);
      expect(r.classCounts).toEqual([1, 0, 1, 1, 0, 0, 0, 1, 0, 0]);
    },
  );

  it.each(['local.csv', 'linear-learner.jsonl', 'linear-learner.json', 'aml.csv'])(
    'reads %s gzip-compressed (told by its magic bytes, any name)',
    async (name) => {
      const input = join(dir, name); // no .gz suffix on purpose: detection is by content
      await writeFile(input, gzipSync(await readFile(fixture(name))));
      const output = join(dir, 'submission.csv');
      const r = await argmaxStage({ input, output }, deps);
      expect(await readFile(output, 'utf8')).toBe('ImageId,Label\n1,3\n2,7\n3,2\n4,0\n');
      expect(r.rows).toBe(4);
    },
  );

  it('a damaged gzip file or a zip archive is a clear error and leaves no output', async () => {
    const whole = gzipSync(
      Buffer.from('ImageId,0,1,2,3,4,5,6,7,8,9\n' + '1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n'.repeat(20000)),
    );
    const cut = join(dir, 'cut.csv.gz');
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const output = join(dir, 's.csv');
    const err = await argmaxStage({ input: cut, output }, deps).catch((e) => e);
    expect(err.code).toBe('GZIP_INVALID');
    expect(err.message).toContain('cut.csv.gz');
    const zip = join(dir, 'p.zip');
    await writeFile(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
    const zerr = await argmaxStage({ input: zip, output }, deps).catch((e) => e);
    expect(zerr.code).toBe('PROB_ZIP');
    expect((await readdir(dir)).sort()).toEqual(['cut.csv.gz', 'p.zip']);
  });

  it('uses the ids the file carries (AML tag)', async () => {
    const output = join(dir, 's.csv');
    const r = await argmaxStage({ input: fixture('aml-tag.csv'), output, format: 'aml' }, deps);
    expect(r.format).toBe('aml');
    expect(await readFile(output, 'utf8')).toBe('ImageId,Label\n101,3\n102,7\n103,2\n104,0\n');
  });

  it('warns on rows that do not sum to ~1, with the line', async () => {
    const input = join(dir, 'p.jsonl');
    await writeFile(input, '{"score":[0.5,0.5,0,0,0,0,0,0,0,0]}\n{"score":[0.2,0.1,0,0,0,0,0,0,0,0]}\n');
    const r = await argmaxStage({ input, output: join(dir, 's.csv') }, deps);
    expect(r.warnings).toBe(1);
    const warns = deps.reporter.events.filter((e) => e.kind === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ code: 'PROB_SUM' });
    expect((warns[0] as { message: string }).message).toContain('p.jsonl:2:');
  });

  it('refuses to overwrite without force, replaces with force', async () => {
    const output = join(dir, 's.csv');
    await writeFile(output, 'keep me');
    await expect(argmaxStage({ input: fixture('local.csv'), output }, deps)).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
    expect(await readFile(output, 'utf8')).toBe('keep me');
    await argmaxStage({ input: fixture('local.csv'), output, force: true }, deps);
    expect(await readFile(output, 'utf8')).toMatch(/^ImageId,Label\n1,3\n/);
  });

  it.each([
    [
      'bad.csv',
      'ImageId,0,1,2,3,4,5,6,7,8,9\n1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n2,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1\n',
      'PROB_FIELD_COUNT',
      'bad.csv:3:',
    ],
    [
      'bad.jsonl',
      '{"score":[1,0,0,0,0,0,0,0,0,0]}\n{"score":[1,0,0,0,0,0,0,0,0,"x"]}\n',
      'PROB_NOT_A_NUMBER',
      'bad.jsonl:2:',
    ],
    ['empty.jsonl', '\n', 'PROB_EMPTY', 'empty.jsonl'],
    ['header-only.csv', 'ImageId,0,1,2,3,4,5,6,7,8,9\n', 'PROB_EMPTY', 'header-only.csv'],
  ])('bad input %s: clear error and no output file', async (name, text, code, where) => {
    const input = join(dir, name);
    await writeFile(input, text);
    const output = join(dir, 'out', 'submission.csv');
    const e = await argmaxStage({ input, output }, deps).then(
      () => undefined,
      (err: unknown) => err as { code: string; message: string; exitCode: number },
    );
    expect(e).toBeDefined();
    expect(e!.code).toBe(code);
    expect(e!.exitCode).toBe(2);
    expect(e!.message).toContain(where);
    const left = await readdir(join(dir, 'out')).catch(() => []);
    expect(left).toEqual([]);
  });

  it('missing input file is a user error', async () => {
    await expect(argmaxStage({ input: join(dir, 'nope.csv'), output: join(dir, 's.csv') }, deps)).rejects.toMatchObject(
      { code: 'FILE_NOT_FOUND' },
    );
  });

  it('numClasses other than 10', async () => {
    const input = join(dir, 'three.csv');
    await copyFile(fixture('local.csv'), join(dir, 'unused.csv'));
    await writeFile(input, 'ImageId,0,1,2\n1,0.2,0.3,0.5\n2,0.4,0.4,0.2\n');
    const r = await argmaxStage({ input, output: join(dir, 's.csv'), numClasses: 3 }, deps);
    expect(r.classCounts).toEqual([1, 0, 1]);
    await expect(argmaxStage({ input, output: join(dir, 's2.csv') }, deps)).rejects.toMatchObject({
      code: 'PROB_HEADER',
    });
  });

  it('streams many rows (100k) with bounded work', async () => {
    const input = join(dir, 'big.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const s = new Array(10).fill(0);
      s[i % 10] = 1;
      lines.push(JSON.stringify({ score: s, predicted_label: i % 10 }));
    }
    await writeFile(input, lines.join('\n') + '\n');
    const r = await argmaxStage({ input, output: join(dir, 's.csv') }, deps);
    expect(r.rows).toBe(100_000);
    expect(r.classCounts).toEqual(new Array(10).fill(10_000));
    const text = await readFile(join(dir, 's.csv'), 'utf8');
    expect(text.split('\n')[100_000]).toBe('100000,9');
  });
});
