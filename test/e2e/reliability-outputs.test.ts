/**
 * Reliability of outputs through the built binary: only regular files are ever replaced, local
 * filesystem errors on an output path are user errors (exit 2, no stack trace), and no temp file
 * is left behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-outputs-'));
  await copyFile(join(repoRoot, 'test/fixtures/probabilities/local.csv'), join(dir, 'probs.csv'));
});

describe('outputs: only regular files are replaced', () => {
  it('argmax -o <fifo> --force refuses (exit 2) and the FIFO stays a FIFO', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(['argmax', 'probs.csv', '-o', 'fifo', '--force'], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[NOT_A_FILE]');
    expect(r.stderr).toContain('FIFO');
    expect(r.stderr).not.toContain('    at ');
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'argmax -o <character device> --force refuses and the device survives (root only)',
    async () => {
      const dev = join(dir, 'null-copy');
      execFileSync('mknod', [dev, 'c', '1', '3']);
      const r = await runCli(['argmax', 'probs.csv', '-o', 'null-copy', '--force'], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('is a character device');
      expect((await lstat(dev)).isCharacterDevice()).toBe(true);
    },
  );

  it('argmax -o <existing dir> --force and a symlink are refused, not replaced', async () => {
    await mkdir(join(dir, 'adir'));
    const d = await runCli(['argmax', 'probs.csv', '-o', 'adir', '--force'], { cwd: dir });
    expect(d.code, d.stderr).toBe(2);
    expect(d.stderr).toContain('is a directory');
    expect(d.stderr).not.toContain('error[BUG]');
    await writeFile(join(dir, 'real.csv'), 'keep');
    execFileSync('ln', ['-s', 'real.csv', join(dir, 'link.csv')]);
    const l = await runCli(['argmax', 'probs.csv', '-o', 'link.csv', '--force'], { cwd: dir });
    expect(l.code, l.stderr).toBe(2);
    expect(l.stderr).toContain('symbolic link');
    expect((await lstat(join(dir, 'link.csv'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'real.csv'), 'utf8')).toBe('keep');
  });

  it('-o <file>/x.csv and a too-long name are exit 2 OUTPUT_PATH_INVALID', async () => {
    await writeFile(join(dir, 'plain'), 'x');
    const r = await runCli(['argmax', 'probs.csv', '-o', 'plain/x.csv'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[OUTPUT_PATH_INVALID]');
    expect(r.stderr).not.toContain('error[BUG]');
    // Node's recursive mkdir never returns here: digitflow's ends with exit 2.
    const proc = await runCli(['argmax', 'probs.csv', '-o', '/proc/x/y.csv'], { cwd: dir, timeoutMs: 30_000 });
    expect(proc.code, proc.stderr).toBe(2);
    expect(proc.stderr).toContain('OUTPUT_PATH_INVALID');
    const nested = await runCli(['argmax', 'probs.csv', '-o', 'new/deeper/sub.csv'], { cwd: dir });
    expect(nested.code, nested.stderr).toBe(0);
    const long = await runCli(['argmax', 'probs.csv', '-o', 'x'.repeat(300) + '.csv'], { cwd: dir });
    expect(long.code, long.stderr).toBe(2);
    expect(long.stderr).toContain('OUTPUT_PATH_INVALID');
  });

  it('a successful write leaves no temp folder; a stale temp of a dead process is swept', async () => {
    const out = join(dir, 'clean');
    await mkdir(join(out, '.digitflow-tmp'), { recursive: true });
    // pid 2^22+1 is above the kernel's pid_max default: never alive.
    await writeFile(join(out, '.digitflow-tmp', 'sub.csv.4194305-0badc0de'), 'stale');
    const r = await runCli(['argmax', 'probs.csv', '-o', 'clean/sub.csv'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await readdir(out)).toEqual(['sub.csv']);
  });
});
