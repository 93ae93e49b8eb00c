import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { header, trainRow, trainCsv } from '../helpers/kaggle-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-prep-'));
});

describe('digitflow prepare (built binary)', () => {
  it('writes the bundled digits as Kaggle CSVs, seeded and stratified, and refuses to overwrite', async () => {
    const r = await runCli(['prepare', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.trainRows).toBe(8000);
    expect(out.testRows).toBe(2000);
    expect(out.testLabelCounts.reduce((a: number, b: number) => a + b, 0)).toBe(2000);
    const train = await readFile(join(dir, 'data', 'train.csv'), 'utf8');
    expect(train.startsWith('label,pixel0,pixel1,')).toBe(true);
    expect(train.split('\n').length).toBe(8002);
    const labels = (await readFile(join(dir, 'data', 'test_labels.csv'), 'utf8')).trim().split('\n');
    expect(labels[0]).toBe('ImageId,Label');
    expect(labels[1]).toMatch(/^1,\d$/);
    expect(labels.length).toBe(2001);

    const again = await runCli(['prepare'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/error\[OUTPUT_EXISTS\]: data\/train\.csv already exists/);
    expect(again.stderr).toMatch(/hint: pass --force/);
    expect(again.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace for user errors

    // Same seed, same files; another seed, another split.
    const d2 = await mkdtemp(join(tmpdir(), 'df-e2e-prep2-'));
    await runCli(['prepare', '--quiet'], { cwd: d2 });
    expect(await readFile(join(d2, 'data', 'test_labels.csv'), 'utf8')).toBe(
      await readFile(join(dir, 'data', 'test_labels.csv'), 'utf8'),
    );
    const d3 = await mkdtemp(join(tmpdir(), 'df-e2e-prep3-'));
    await runCli(['prepare', '--quiet', '--seed', '7'], { cwd: d3 });
    expect(await readFile(join(d3, 'data', 'test_labels.csv'), 'utf8')).not.toBe(
      await readFile(join(dir, 'data', 'test_labels.csv'), 'utf8'),
    );
  });

  it('inspect reports layout, labels and pixel range of a clean file', async () => {
    const p = join(dir, 'clean.csv');
    await writeFile(p, trainCsv(20));
    const r = await runCli(['inspect', p]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/layout\s+train/);
    expect(r.stdout).toMatch(/rows\s+20/);
    expect(r.stdout).toMatch(/labels\s+0:2 1:2/);
    expect(r.stdout).toMatch(/problems\s+none/);
  });

  it('inspect lists every problem with its line and exits 2; --json gives the same', async () => {
    const p = join(dir, 'dirty.csv');
    const bad = trainRow(3, 1).replace(/,\d+$/, '');
    await writeFile(p, [header('train'), trainRow(1, 1), bad, trainRow(12, 2), trainRow(2, 3)].join('\n') + '\n');
    const r = await runCli(['inspect', p]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${p}:3: expected 785 fields, found 784`);
    expect(r.stdout).toContain(`${p}:4: column 1 (label): expected a class label 0-9, found '12'`);
    const j = await runCli(['inspect', p, '--json']);
    const obj = JSON.parse(j.stdout);
    expect(obj.files[0].problemCount).toBe(2);
    expect(obj.files[0].rows).toBe(2);
  });

  it('a bad train file stops prepare --source kaggle with file:line and no output', async () => {
    const k = join(dir, 'kag');
    const out = join(dir, 'kag-out');
    await import('node:fs/promises').then((fs) => fs.mkdir(k));
    const lines = trainCsv(3).split('\n');
    lines[2] = lines[2].replace(/,\d+,/, ',300,');
    await writeFile(join(k, 'train.csv'), lines.join('\n'));
    await writeFile(join(k, 'test.csv'), 'pixel0\n1\n');
    const r = await runCli(['prepare', '--source', 'kaggle', k, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error\[CSV_VALUE\]: .*train\.csv:3: column \d+ \(pixel\d+\): expected an integer 0-255, found '300'/,
    );
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});
