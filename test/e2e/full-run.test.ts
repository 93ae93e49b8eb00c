import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { digitsSplit, toKaggleCsv } from '../helpers/tfjs-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-full-'));
  const { train, test } = digitsSplit(600, 100, 13);
  await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
  await writeFile(join(dir, 'test.csv'), toKaggleCsv(test, false));
  await writeFile(
    join(dir, 'test_labels.csv'),
    'ImageId,Label\n' + Array.from(test.labels!, (l, i) => `${i + 1},${l}`).join('\n') + '\n',
  );
});

describe('digitflow run --full (built binary): choose settings on held-out rows, then retrain on every row', () => {
  it("repeats the chosen run's settings on all rows and writes the submission", async () => {
    const data = ['--train', 'train.csv', '--test', 'test.csv', '--labels', 'test_labels.csv'];
    const a = await runCli(
      ['run', ...data, '--epochs', '3', '--learning-rate', '0.005', '--out', 'runs/choose', '--json', '--quiet'],
      { cwd: dir },
    );
    expect(a.code, a.stderr).toBe(0);
    const chosen = JSON.parse(a.stdout);
    expect(chosen.validationRows).toBe(60);
    const manifestA = JSON.parse(await readFile(join(dir, 'runs/choose/manifest.json'), 'utf8'));
    const best = manifestA.local.bestEpoch;

    const f = await runCli(['run', ...data, '--full', 'runs/choose', '--out', 'runs/final', '--json', '--quiet'], {
      cwd: dir,
    });
    expect(f.code, f.stderr).toBe(0);
    const out = JSON.parse(f.stdout);
    expect(out.trainRows).toBe(600);
    expect(out.validationRows).toBe(0);
    expect(out.accuracy).toBeGreaterThan(0.5);
    const m = JSON.parse(await readFile(join(dir, 'runs/final/manifest.json'), 'utf8'));
    expect(m.hyperparameters).toMatchObject({ epochs: best, learningRate: 0.005, validationFraction: 0, full: true });
    const sub = (await readFile(join(dir, 'runs/final/submission.csv'), 'utf8')).trim().split('\n');
    expect(sub[0]).toBe('ImageId,Label');
    expect(sub).toHaveLength(101);
  });

  it('train --full with an explicit --validation-fraction is a user error (exit 2, no stack)', async () => {
    const r = await runCli(
      ['train', '--train', 'train.csv', '--full', '--validation-fraction', '0.2', '--out', 'runs/bad'],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[FLAG_CONFLICT\]: --full trains on every row/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const h = await runCli(['run', '--help']);
    expect(h.stdout).toMatch(/--full \[run\]/);
    expect(h.stdout).toMatch(/--full runs\/<chosen run> -o runs\/final/);
    const t = await runCli(['train', '--help']);
    expect(t.stdout).toMatch(/--full \[run\]/);
  });

  it('--dropout or --tta-shift with the linear model is a user error before any data is read (exit 2)', async () => {
    const tta = await runCli(['train', '--train', 'train.csv', '--tta-shift', '1', '--out', 'runs/tta'], { cwd: dir });
    expect(tta.code, tta.stderr).toBe(2);
    expect(tta.stderr).toMatch(
      /error\[FLAG_NOT_APPLICABLE\]: --tta-shift 1: the linear model scores flat pixel vectors/,
    );
    for (const cmd of ['train', 'run']) {
      const files = cmd === 'run' ? ['--train', 'train.csv', '--test', 'test.csv'] : ['--train', 'train.csv'];
      const r = await runCli([cmd, ...files, '--dropout', '0.3', '--out', `runs/drop-${cmd}`], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/error\[FLAG_NOT_APPLICABLE\]: --dropout 0.3: the linear model has no hidden layer/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(r.stdout).not.toMatch(/reading/);
      await expect(readFile(join(dir, `runs/drop-${cmd}/manifest.json`), 'utf8')).rejects.toThrow();
    }
  });
});
