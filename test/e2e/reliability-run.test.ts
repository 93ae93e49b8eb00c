/**
 * `run` checks every input and output before it trains (built binary), and a run that fails
 * leaves no run folder behind; `train --out <file>` is a user error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { digitsSplit, toKaggleCsv } from '../helpers/tfjs-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-run-'));
  const { train, test } = digitsSplit(300, 30, 5);
  await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
  const testCsv = toKaggleCsv(test, false);
  await writeFile(join(dir, 'test.csv'), testCsv);
  const lines = testCsv.split('\n');
  lines[3] = lines[3].replace(/^0,/, 'x,').replace(/^(\d+),/, 'x,');
  await writeFile(join(dir, 'bad-test.csv'), lines.join('\n'));
  await writeFile(
    join(dir, 'labels.csv'),
    'ImageId,Label\n' + Array.from(test.labels!, (l, i) => `${i + 1},${l}`).join('\n') + '\n',
  );
  await writeFile(join(dir, 'short-labels.csv'), 'ImageId,Label\n1,3\n2,4\n');
  await writeFile(join(dir, 'bad-labels.csv'), 'ImageId,Label\n1,3\n2,banana\n');
});

const base = ['run', '--train', 'train.csv', '--test', 'test.csv', '--model', 'cnn', '--epochs', '50'];

describe('run validates before training', () => {
  it('a bad test line fails before training and leaves no run folder', async () => {
    const r = await runCli(
      [
        'run',
        '--train',
        'train.csv',
        '--test',
        'bad-test.csv',
        '--model',
        'cnn',
        '--epochs',
        '50',
        '--out',
        'runs/bad-test',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error\[CSV_VALUE\]: bad-test\.csv:4:/);
    expect(r.stderr).not.toContain('training cnn on'); // the train file is read meanwhile, but never trained on
    expect(existsSync(join(dir, 'runs/bad-test'))).toBe(false);
  });

  it('a bad or short answer key fails before training', async () => {
    const bad = await runCli([...base, '--labels', 'bad-labels.csv', '--out', 'runs/bad-labels'], { cwd: dir });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).not.toContain('training cnn on');
    expect(existsSync(join(dir, 'runs/bad-labels'))).toBe(false);
    const short = await runCli([...base, '--labels', 'short-labels.csv', '--out', 'runs/short'], { cwd: dir });
    expect(short.code, short.stderr).toBe(2);
    expect(short.stderr).toContain('error[IDS_MISMATCH]: short-labels.csv has 2 labels but test.csv has 30 rows');
    expect(existsSync(join(dir, 'runs/short'))).toBe(false);
  });

  it('an existing probabilities.csv in --out is OUTPUT_EXISTS before training, nothing else written', async () => {
    await mkdir(join(dir, 'runs/taken'), { recursive: true });
    await writeFile(join(dir, 'runs/taken/probabilities.csv'), 'mine');
    const r = await runCli([...base, '--out', 'runs/taken'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[OUTPUT_EXISTS]');
    expect(r.stderr).toContain('probabilities.csv');
    expect(await readdir(join(dir, 'runs/taken'))).toEqual(['probabilities.csv']);
  });

  it('--out <a file> is exit 2 for run and train, never a BUG', async () => {
    await writeFile(join(dir, 'afile'), 'x');
    const r = await runCli([...base, '--out', 'afile'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('is a regular file, not a folder');
    const t = await runCli(['train', '--train', 'train.csv', '--out', 'afile', '--epochs', '1'], { cwd: dir });
    expect(t.code, t.stderr).toBe(2);
    expect(t.stderr).not.toContain('error[BUG]');
  });

  it('a good run still works end to end (linear, quick)', async () => {
    const r = await runCli(
      [
        'run',
        '--train',
        'train.csv',
        '--test',
        'test.csv',
        '--labels',
        'labels.csv',
        '--epochs',
        '2',
        '--out',
        'runs/ok',
        '--quiet',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'runs/ok/metrics.json'))).toBe(true);
    expect(await readdir(join(dir, 'runs/ok'))).not.toContain('.digitflow-tmp');
  });
});
