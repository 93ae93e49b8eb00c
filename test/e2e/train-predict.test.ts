import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, runCli } from '../helpers/cli.js';
import { digitsSplit, toKaggleCsv } from '../helpers/tfjs-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-train-'));
  const { train, test } = digitsSplit(800, 120, 9);
  await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
  await writeFile(join(dir, 'test.csv'), toKaggleCsv(test, false));
  await writeFile(
    join(dir, 'test_labels.csv'),
    'ImageId,Label\n' + Array.from(test.labels!, (l, i) => `${i + 1},${l}`).join('\n') + '\n',
  );
});

describe('digitflow train + predict --engine local (built binary)', () => {
  it('trains, saves the model, predicts probability rows in input order', async () => {
    const t = await runCli(['train', '--train', 'train.csv', '--out', 'runs/r1', '--epochs', '4', '--json'], {
      cwd: dir,
    });
    expect(t.code, t.stderr).toBe(0);
    const out = JSON.parse(t.stdout);
    expect(out.backend).toBe('wasm');
    expect(out.backendNote).toMatch(/^wasm \(tfjs-node (not installed|failed to load)/);
    expect(out.epochs.length).toBeGreaterThanOrEqual(2);
    expect(out.validationRows).toHaveLength(80);
    expect(out.validationAccuracy).toBeGreaterThan(0.75);
    // --json progress goes to stderr as JSON lines, one epoch event per epoch.
    const events = t.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.event === 'epoch')).toHaveLength(out.epochs.length);
    for (const f of [
      'model/model.json',
      'model/weights.bin',
      'model/metadata.json',
      'manifest.json',
      'validation-probabilities.csv',
      'validation-labels.csv',
    ]) {
      await access(join(dir, 'runs/r1', f));
    }

    const p = await runCli(['predict', '--run', 'runs/r1', '--test', 'test.csv', '-o', 'probs.csv', '--json'], {
      cwd: dir,
    });
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ rows: 120, backend: 'wasm' });
    const lines = (await readFile(join(dir, 'probs.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('ImageId,0,1,2,3,4,5,6,7,8,9');
    expect(lines).toHaveLength(121);
    const labels = (await readFile(join(dir, 'test_labels.csv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[1]));
    let hits = 0;
    lines.slice(1).forEach((line, i) => {
      const [id, ...ps] = line.split(',').map(Number);
      expect(id).toBe(i + 1);
      expect(Math.abs(ps.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
      if (ps.indexOf(Math.max(...ps)) === labels[i]) hits++;
    });
    expect(hits / 120).toBeGreaterThan(0.75);

    // Exists already: exit 2, nothing replaced.
    const again = await runCli(['predict', '--run', 'runs/r1', '--test', 'test.csv', '-o', 'probs.csv'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('OUTPUT_EXISTS');
    const retrain = await runCli(['train', '--train', 'train.csv', '--out', 'runs/r1', '--epochs', '1'], { cwd: dir });
    expect(retrain.code).toBe(2);
  });

  it('user errors: forced tfjs-node that is not there, missing run, bad flag', async () => {
    const node = await runCli(['train', '--train', 'train.csv', '--out', 'runs/r2', '--backend', 'node', '--json'], {
      cwd: dir,
    });
    expect(node.code).toBe(2);
    expect(JSON.parse(node.stdout).error.code).toBe('BACKEND_UNAVAILABLE');
    const run = await runCli(['predict', '--run', 'nowhere', '--test', 'test.csv'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('MODEL_NOT_FOUND');
    const flag = await runCli(['train', '--train', 'train.csv', '--validation-fraction', '1.5'], { cwd: dir });
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toContain('--validation-fraction must be in [0, 1), got 1.5');
  });

  it('Ctrl-C stops training cleanly, saves the best weights so far and exits 130', async () => {
    const child = spawn(
      process.execPath,
      [binPath, 'train', '--train', 'train.csv', '--out', 'runs/int', '--epochs', '500', '--patience', '0', '--json'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('"event":"epoch"') && !child.killed) child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code, stderr).toBe(130);
    const m = JSON.parse(await readFile(join(dir, 'runs/int/manifest.json'), 'utf8'));
    expect(m.local.interrupted).toBe(true);
    await access(join(dir, 'runs/int/model/weights.bin'));
  });
});
