/**
 * The submission side as a user drives it, through the built binary: argmax of a SageMaker
 * .out file and of an Amazon ML file, validate-submission, evaluate, compare and report on real
 * local runs of the sample data, and the bad-input paths (exit 2, no output file).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, repoRoot } from '../helpers/cli.js';

const sample = (f: string) => join(repoRoot, 'data', 'sample', f);
const fixture = (f: string) => join(repoRoot, 'test', 'fixtures', 'probabilities', f);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-sub-'));
});

describe('argmax → validate-submission → evaluate (built binary)', () => {
  it('turns Linear Learner JSON Lines into a valid submission and scores it', async () => {
    const sub = join(dir, 'sub-ll.csv');
    const a = await runCli(['argmax', fixture('linear-learner.jsonl'), '-o', sub, '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ rows: 4, format: 'jsonlines' });
    const rows = (await readFile(sub, 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('ImageId,Label');
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['1', '2', '3', '4']);
    // Row 3 ties 0.4/0.4 between classes 2 and 5: the lowest class wins.
    expect(rows[3]).toBe('3,2');

    const v = await runCli(['validate-submission', sub, '--rows', '4']);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    const labels = join(dir, 'labels4.csv');
    await writeFile(labels, 'ImageId,Label\n1,3\n2,7\n3,5\n4,' + rows[4].split(',')[1] + '\n');
    const e = await runCli(['evaluate', '--submission', sub, '--labels', labels, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).accuracy).toBeCloseTo(0.75, 10);
  });

  it('maps Amazon ML class columns by header name, not position', async () => {
    const sub = join(dir, 'sub-aml.csv');
    const a = await runCli(['argmax', fixture('aml.csv'), '-o', sub]);
    expect(a.code, a.stderr).toBe(0);
    // The first AML row puts 0.8 under the column named "3" (6th position, where "5" would be by position).
    expect((await readFile(sub, 'utf8')).split('\n')[1]).toBe('1,3');
  });

  it('bad input: exit 2, the line named, and no output file', async () => {
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, '{"score":[0.1,0.9,0,0,0,0,0,0,0,0]}\n{"score":[0.1,NaN,0,0,0,0,0,0,0,0]}\n');
    const out = join(dir, 'never.csv');
    const a = await runCli(['argmax', bad, '-o', out]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/bad\.jsonl:2/);
    expect(a.stderr).not.toMatch(/\n\s+at /);
    expect((await readdir(dir)).filter((f) => f.includes('never'))).toEqual([]);

    const broken = join(dir, 'broken-sub.csv');
    await writeFile(broken, 'ImageId,Label\n1,3\n3,x\n');
    const v = await runCli(['validate-submission', broken, '--rows', '3']);
    expect(v.code).toBe(2);
    expect(v.stdout + v.stderr).toMatch(/broken-sub\.csv:3/);
  });
});

describe('compare and report on two real local runs of the sample data', () => {
  it('compares on the same held-out rows and writes a self-contained report', async () => {
    const common = [
      '--train',
      sample('train.csv'),
      '--test',
      sample('test.csv'),
      '--labels',
      sample('test_labels.csv'),
      '--quiet',
    ];
    const r1 = await runCli(['run', ...common, '--out', join(dir, 'runA'), '--epochs', '2']);
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = await runCli(['run', ...common, '--out', join(dir, 'runB'), '--epochs', '6']);
    expect(r2.code, r2.stderr).toBe(0);
    const c = await runCli(['compare', join(dir, 'runA'), join(dir, 'runB')]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/same held-out rows/);
    expect(c.stdout).toMatch(/epochs \(max\)\s+2\s+6/);
    expect(c.stdout).toMatch(/epochs trained\s+2\s+\d/);
    expect(c.stdout).toMatch(/validation recall 0\s/);
    const cj = await runCli(['compare', join(dir, 'runA'), join(dir, 'runB'), '--json']);
    expect(JSON.parse(cj.stdout)).toBeTypeOf('object');

    // Another seed holds out other rows: compare must say so.
    const r3 = await runCli(['run', ...common, '--out', join(dir, 'runC'), '--epochs', '2', '--seed', '7']);
    expect(r3.code, r3.stderr).toBe(0);
    const c2 = await runCli(['compare', join(dir, 'runA'), join(dir, 'runC')]);
    expect(c2.stdout + c2.stderr).toMatch(/DIFFERENT held-out rows/i);

    const rep = await runCli(['report', join(dir, 'runB')]);
    expect(rep.code, rep.stderr).toBe(0);
    const html = await readFile(join(dir, 'runB', 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  }, 180_000); // three trainings and a report: minutes on a loaded 2-core machine
});
