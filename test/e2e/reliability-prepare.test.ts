/** `prepare` is all-or-nothing and one writer per data folder (built binary). */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, runCli } from '../helpers/cli.js';

describe('prepare: staging, swap and lock', () => {
  it('Ctrl-C while the set is written leaves no file, and the rerun needs no --force', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-e2e-prep-int-'));
    const child = spawn(process.execPath, [binPath, 'prepare', '--json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('"task":"write:data/test.csv"') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, stderr).toBe(130);
    const left = existsSync(join(dir, 'data')) ? await readdir(join(dir, 'data')) : [];
    expect(left).toEqual([]);
    const again = await runCli(['prepare', '--quiet'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect((await readdir(join(dir, 'data'))).sort()).toEqual([
      'dataset.json',
      'test.csv',
      'test_labels.csv',
      'train.csv',
    ]);
  });

  it("a second writer fails with LOCKED while the first lives; a dead owner's lock is taken over", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-e2e-prep-lock-'));
    await mkdir(join(dir, 'data', '.digitflow-tmp'), { recursive: true });
    // This test process is alive: its pid holds the lock.
    await writeFile(join(dir, 'data', '.digitflow-tmp', 'prepare.lock'), `${process.pid}\n`);
    const locked = await runCli(['prepare', '--force'], { cwd: dir });
    expect(locked.code, locked.stderr).toBe(2);
    expect(locked.stderr).toContain(
      `error[LOCKED]: data is being written by another digitflow prepare (pid ${process.pid})`,
    );
    expect(await readdir(join(dir, 'data'))).toEqual(['.digitflow-tmp']);
    await writeFile(join(dir, 'data', '.digitflow-tmp', 'prepare.lock'), '4194305\n');
    const taken = await runCli(['prepare', '--quiet'], { cwd: dir });
    expect(taken.code, taken.stderr).toBe(0);
    expect(await readdir(join(dir, 'data'))).not.toContain('.digitflow-tmp');
  });

  it('two overlapping prepare --force never mix sets: dataset.json matches the files on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-e2e-prep-race-'));
    const [a, b] = await Promise.all([
      runCli(['prepare', '--force', '--seed', '1', '--quiet'], { cwd: dir }),
      runCli(['prepare', '--force', '--seed', '2', '--quiet', '--test-size', '3000'], { cwd: dir }),
    ]);
    expect([a.code, b.code].sort()).toContain(0);
    for (const r of [a, b]) if (r.code !== 0) expect(r.stderr).toContain('LOCKED');
    const manifest = JSON.parse(await readFile(join(dir, 'data', 'dataset.json'), 'utf8'));
    for (const f of manifest.files as { path: string; sha256: string }[]) {
      const bytes = await readFile(join(dir, f.path));
      expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
    }
  });
});
