/**
 * Leftovers of the reliability pass, through the built binary: evaluate reads gzip like argmax,
 * evaluate and validate-submission share one row parser, input checks name FIFOs and folders.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFile, lstat, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot, runCli } from '../helpers/cli.js';

let dir: string;
const labels = 'ImageId,Label\n1,3\n2,5\n3,7\n';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-leftovers-'));
  await copyFile(join(repoRoot, 'test/fixtures/probabilities/local.csv'), join(dir, 'probs.csv'));
  await writeFile(join(dir, 'labels.csv'), labels);
  await writeFile(join(dir, 'sub.csv'), 'ImageId,Label\n1,3\n2,5\n3,1\n');
  // Compressed, with a name that does not say so: detected by content.
  await writeFile(join(dir, 'sub-gz.csv'), gzipSync('ImageId,Label\n1,3\n2,5\n3,1\n'));
  await writeFile(join(dir, 'spaced.csv'), 'ImageId,Label\n1, 3 \n2,5\n3,7\n');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  await mkdir(join(dir, 'folder'));
});

describe('evaluate reads what argmax reads', () => {
  it('scores a gzip-compressed submission like the plain one', async () => {
    const plain = await runCli(['evaluate', 'sub.csv', '--labels', 'labels.csv', '--json'], { cwd: dir });
    const gz = await runCli(['evaluate', 'sub-gz.csv', '--labels', 'labels.csv', '--json'], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(gz.code, gz.stderr).toBe(0);
    expect(gz.stdout).toContain('"accuracy"');
    expect(JSON.parse(gz.stdout).accuracy ?? JSON.parse(gz.stdout).metrics?.accuracy).toBeCloseTo(2 / 3, 5);
  });
});

describe('one submission row parser', () => {
  it('evaluate refuses the label " 3 " that validate-submission refuses', async () => {
    const v = await runCli(['validate-submission', 'spaced.csv', '--rows', '3'], { cwd: dir });
    expect(v.code, v.stderr).toBe(2);
    expect(v.stderr).toContain('spaced.csv:2');
    const e = await runCli(['evaluate', 'spaced.csv', '--labels', 'labels.csv'], { cwd: dir });
    expect(e.code, e.stderr).toBe(2);
    expect(e.stderr).toContain('spaced.csv:2');
    expect(e.stderr).toContain('WHITESPACE');
  });
});

describe('inputs that are not regular files', () => {
  it.each([
    ['argmax', 'fifo', ['argmax', 'fifo', '-o', 'x.csv'], 'FIFO'],
    ['evaluate --labels', 'folder', ['evaluate', 'sub.csv', '--labels', 'folder'], 'folder'],
    ['evaluate', 'fifo', ['evaluate', 'sub.csv', '--labels', 'fifo'], 'FIFO'],
    [
      'evaluate --probabilities',
      'fifo',
      ['evaluate', 'sub.csv', '--labels', 'labels.csv', '--probabilities', 'fifo'],
      'FIFO',
    ],
  ])('%s on a %s is NOT_A_FILE, exit 2, and does not hang', async (_cmd, _kind, args, word) => {
    const r = await runCli(args as string[], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[NOT_A_FILE]');
    expect(r.stderr.toLowerCase()).toContain((word as string).toLowerCase());
  });
});

describe('train checks its outputs before training', () => {
  const row = (label: number) => [label, ...Array.from({ length: 784 }, (_, i) => (i * (label + 1)) % 256)].join(',');
  const csv =
    [
      'label,' + Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(','),
      ...Array.from({ length: 40 }, (_, i) => row(i % 10)),
    ].join('\n') + '\n';

  it('train --out <existing file> fails (exit 2) before training and leaves the file alone', async () => {
    await writeFile(join(dir, 'train.csv'), csv);
    await writeFile(join(dir, 'taken'), 'keep me\n');
    const r = await runCli(['train', '--train', 'train.csv', '--out', 'taken', '--epochs', '1'], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[NOT_A_FILE]');
    expect(r.stderr).not.toContain('    at ');
    expect(r.stdout + r.stderr).not.toMatch(/training (linear|cnn)/);
    expect(await readFile(join(dir, 'taken'), 'utf8')).toBe('keep me\n');
  });

  it('train refuses a FIFO where a validation output goes, before training, and the FIFO stays', async () => {
    await mkdir(join(dir, 'runs', 'fifo-run'), { recursive: true });
    execFileSync('mkfifo', [join(dir, 'runs', 'fifo-run', 'validation-labels.csv')]);
    const r = await runCli(['train', '--train', 'train.csv', '--out', 'runs/fifo-run', '--epochs', '1', '--force'], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[NOT_A_FILE]');
    expect(r.stdout + r.stderr).not.toMatch(/training (linear|cnn)/);
    expect((await lstat(join(dir, 'runs', 'fifo-run', 'validation-labels.csv'))).isFIFO()).toBe(true);
  });
});
