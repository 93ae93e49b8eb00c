/**
 * Signals and pipes through the built binary: SIGTERM is handled like SIGINT (exit 143, best
 * checkpoint kept, temp files removed), a second Ctrl-C still removes temp files, and output into a
 * closed pipe ends quietly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { access, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { binPath, runCli } from '../helpers/cli.js';
import { digitsSplit, toKaggleCsv } from '../helpers/tfjs-fixtures.js';
import { header } from '../helpers/kaggle-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-signals-'));
  const { train } = digitsSplit(400, 10, 4);
  await writeFile(join(dir, 'train.csv'), toKaggleCsv(train, true));
  // 150,000 blank test rows: 235 MB of CSV, a few hundred KB gzipped; predict takes seconds.
  const row = Buffer.from('0,'.repeat(783) + '0\n');
  await writeFile(
    join(dir, 'big.csv.gz'),
    gzipSync(Buffer.concat([Buffer.from(header('test') + '\n'), Buffer.alloc(row.length * 150_000).fill(row)]), {
      level: 1,
    }),
  );
  const t = await runCli(['train', '--train', 'train.csv', '--out', 'runs/lin', '--epochs', '1', '--quiet'], {
    cwd: dir,
  });
  expect(t.code, t.stderr).toBe(0);
}, 120_000);

/** Spawns digitflow; `until(stderr)` decides when to send `signals` (one per 20 ms). */
function withSignals(
  args: string[],
  ready: (stderr: string) => boolean,
  signals: NodeJS.Signals[],
  gapMs = 20,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, [binPath, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  let sent = false;
  const fire = () => {
    if (sent) return;
    sent = true;
    signals.forEach((s, i) => setTimeout(() => child.kill(s), i * gapMs));
  };
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (ready(stderr)) fire();
  });
  const poll = setInterval(() => ready(stderr) && fire(), 20);
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr, stdout });
    }),
  );
}

describe('signals', () => {
  it('SIGTERM during training: exit 143, the best weights are saved, no temp file', async () => {
    const r = await withSignals(
      ['train', '--train', 'train.csv', '--out', 'runs/term', '--epochs', '500', '--patience', '0', '--json'],
      (s) => s.includes('"event":"epoch"'),
      ['SIGTERM'],
    );
    expect(r.code, r.stderr).toBe(143);
    expect(JSON.parse(r.stdout).error.code).toBe('INTERRUPTED');
    await access(join(dir, 'runs/term/model/model.json'));
    expect(await readdir(join(dir, 'runs/term'))).not.toContain('.digitflow-tmp');
  }, 120_000);

  it('SIGTERM during predict: exit 143, no output, no temp folder', async () => {
    const out = join(dir, 'p-term');
    const r = await withSignals(
      ['predict', '--run', 'runs/lin', '--test', 'big.csv.gz', '-o', 'p-term/p.csv'],
      () => existsSync(join(out, '.digitflow-tmp')),
      ['SIGTERM'],
    );
    expect(r.code, r.stderr).toBe(143);
    expect(existsSync(join(out, 'p.csv'))).toBe(false);
    expect(existsSync(join(out, '.digitflow-tmp'))).toBe(false);
  }, 60_000);

  it('a second Ctrl-C exits at once (130) and still removes the temp file, whenever it lands', async () => {
    // The second signal may land while the first one's clean stop is removing the temp file, or
    // while Node is exiting: the removal is synchronous and the file stays listed until it is gone,
    // so either way nothing is left (issue 12). Several gaps between the two signals.
    for (const gap of [0, 5, 20, 60]) {
      const name = `p-int-${gap}`;
      const out = join(dir, name);
      const r = await withSignals(
        ['predict', '--run', 'runs/lin', '--test', 'big.csv.gz', '-o', `${name}/p.csv`],
        () => existsSync(join(out, '.digitflow-tmp')),
        ['SIGINT', 'SIGINT'],
        gap,
      );
      // When the first Ctrl-C has already finished the clean stop, the second can land while Node
      // is exiting (no JS handler runs then) and end the process by SIGINT itself: 130 either way.
      expect(r.code === 130 || r.signal === 'SIGINT', `gap ${gap}: ${r.code} ${r.signal} ${r.stderr}`).toBe(true);
      expect(existsSync(join(out, 'p.csv'))).toBe(false);
      const tmp = join(out, '.digitflow-tmp');
      expect(existsSync(tmp) ? await readdir(tmp) : [], `gap ${gap}`).toEqual([]);
    }
  }, 120_000);

  it('a temp file left by a killed process (SIGKILL) is swept by the next write into that folder', async () => {
    const out = join(dir, 'p-kill');
    const tmp = join(out, '.digitflow-tmp');
    const r = await withSignals(
      ['predict', '--run', 'runs/lin', '--test', 'big.csv.gz', '-o', 'p-kill/p.csv'],
      () => existsSync(tmp) && readdirSync(tmp).length > 0,
      ['SIGKILL'],
    );
    expect(r.signal).toBe('SIGKILL');
    const left = await readdir(tmp);
    expect(left.length).toBeGreaterThan(0);
    const next = await runCli(['argmax', 'runs/lin/validation-probabilities.csv', '-o', 'p-kill/next.csv'], {
      cwd: dir,
    });
    expect(next.code, next.stderr).toBe(0);
    const after = existsSync(tmp) ? await readdir(tmp) : [];
    expect(after.filter((f) => left.includes(f))).toEqual([]);
  }, 60_000);
});

describe('closed pipes', () => {
  it('`help run | head -1` and `run --help | head -1` end quietly, every time', async () => {
    for (const args of [
      ['help', 'run'],
      ['run', '--help'],
    ]) {
      for (let i = 0; i < 2; i++) {
        const child = spawn(process.execPath, [binPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // The reader goes away before the writer starts: every write meets a closed pipe.
        child.stdout.destroy();
        const code = await new Promise<number | null>((r) => child.on('close', r));
        expect(stderr, args.join(' ')).toBe('');
        expect(code).toBe(0);
      }
    }
  });
});
