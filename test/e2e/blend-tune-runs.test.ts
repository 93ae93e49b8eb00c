/**
 * tune, blend, runs and the comparison report as a user drives them, through the built binary,
 * on the sample digits: a run, a tune with two trials in parallel threads, a blend of the run and
 * the best trial with weights fitted on the held-out rows, the leaderboard, the comparison page,
 * and the refusals (exit 2, nothing written).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { binPath, runCli, repoRoot } from '../helpers/cli.js';

const sample = (f: string) => join(repoRoot, 'data', 'sample', f);
const data = ['--train', sample('train.csv'), '--test', sample('test.csv'), '--labels', sample('test_labels.csv')];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-blend-'));
});

describe('tune → blend → runs → report (built binary)', () => {
  it('the whole loop', async () => {
    const runs = await mkdtemp(join(dir, 'runs-')); // fresh per attempt, so a retried test starts clean
    const run = await runCli(['run', ...data, '--out', join(runs, 'linear'), '--backend', 'wasm', '--json'], {
      timeoutMs: 180_000,
    });
    expect(run.code, run.stderr).toBe(0);

    const tuneDir = join(runs, 'tune');
    const tune = await runCli(
      ['tune', '--trials', '2', '--parallel', '2', ...data, '-o', tuneDir, '--backend', 'wasm', '--json'],
      { timeoutMs: 240_000 },
    );
    expect(tune.code, tune.stderr).toBe(0);
    const t = JSON.parse(tune.stdout);
    expect(t).toMatchObject({ status: 'completed', parallel: 2, strategy: 'random' });
    expect(t.leaderboard).toHaveLength(2);
    expect(t.best.testRows).toBe(100);
    expect((await readdir(tuneDir)).sort()).toEqual(['trial-1', 'trial-2', 'tune.json']);

    const blendDir = join(runs, 'blend');
    const blend = await runCli(['blend', join(runs, 'linear'), t.best.runDir, '--weights', 'auto', '-o', blendDir]);
    expect(blend.code, blend.stderr).toBe(0);
    expect(blend.stdout).toMatch(/weights fitted on the validation rows/);
    expect(blend.stdout).toMatch(/✓ same 20 held-out validation rows in every run/);
    expect(blend.stdout).toMatch(/test accuracy \d+\.\d\d% vs best member/);
    const manifest = JSON.parse(await readFile(join(blendDir, 'manifest.json'), 'utf8'));
    expect(manifest.blend.members.map((m: { runId: string }) => m.runId)).toEqual([
      'linear',
      'trial-' + t.best.runDir.split('trial-')[1],
    ]);

    const list = await runCli(['runs', '--dir', runs, '--sort', 'test-acc', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const board = JSON.parse(list.stdout);
    // the tune folder is not a run
    expect(board.runs.map((e: { runId: string }) => e.runId).sort()).toEqual(['blend', 'linear']);
    expect(board.runs.find((e: { runId: string }) => e.runId === 'blend').engine).toBe('blend');
    const text = await runCli(['runs', '--dir', tuneDir]);
    expect(text.stdout).toMatch(/^#\s+run\s+engine\s+model\s+hyperparameters/);
    expect(text.stdout).toMatch(/trial-1/);

    const report = await runCli(['report', join(runs, 'linear'), blendDir, '-o', join(dir, 'cmp.html')]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(
      /wrote .*cmp\.html .*linear vs blend: checks, metrics, confusion-diff, disagreements/,
    );
    expect(await readFile(join(dir, 'cmp.html'), 'utf8')).toContain('id="confusion-diff-1"');
  }, 600_000);

  it('Ctrl-C during a parallel tune: exit 130, finished trials kept, half-trained ones removed', async () => {
    const out = join(dir, 'tune-int');
    const child = spawn(
      process.execPath,
      [binPath, 'tune', '--trials', '6', '--parallel', '2', ...data, '-o', out, '--backend', 'wasm', '--json'],
      {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // After the first finished trial, while the next ones train.
        if (/trial 1: validation accuracy|trial 2: validation accuracy/.test(stderr) && !child.killed)
          child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code, stderr).toBe(130);
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'INTERRUPTED',
      message: expect.stringMatching(/tune interrupted: \d finished trial\(s\) kept/),
    });
    const saved = JSON.parse(await readFile(join(out, 'tune.json'), 'utf8'));
    expect(saved.status).toBe('interrupted');
    const kept = saved.leaderboard.map((t: { trial: number }) => `trial-${t.trial}`).sort();
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(6);
    expect((await readdir(out)).sort()).toEqual([...kept, 'tune.json'].sort());
  }, 240_000);

  it('refusals: exit 2 with a hint, nothing written', async () => {
    const r = await runCli(['blend', join(repoRoot, 'test', 'fixtures'), join(dir, 'nope'), '-o', join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[RUN_NOT_FOUND\]/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const w = await runCli(['blend', 'a', 'b', '--weights', '0.5,x']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--weights must be 'auto' or comma-separated/);
    // The managed engine's tune needs what `run --engine sagemaker` needs, checked before any data is read.
    const s = await runCli(['tune', '--engine', 'sagemaker']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/error\[FLAG_REQUIRED\]: --engine sagemaker needs --bucket/);
    const d = await runCli(['runs', '--dir', join(dir, 'no-such-dir')]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/error\[RUNS_DIR_NOT_FOUND\]/);
    expect((await readdir(dir)).filter((f) => f.includes('never'))).toEqual([]);
    for (const cmd of ['blend', 'tune', 'runs', 'report']) {
      const h = await runCli([cmd, '--help']);
      expect(h.stdout, cmd).toMatch(/Examples:/);
    }
  }, 120_000);
});
