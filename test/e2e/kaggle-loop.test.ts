/**
 * The Kaggle score loop through the built binary with the fake `kaggle` (test/fixtures/kaggle-bin):
 * submit a run --wait (pending → complete, public score in the manifest), `submissions`, and
 * issue #16 defect 4: one expected-row rule, and nothing submitted is a non-zero exit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { runCli, repoRoot } from '../helpers/cli.js';

const fakeBin = join(repoRoot, 'test', 'fixtures', 'kaggle-bin');
let dir: string;
let runDir: string;
let home: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-kaggle-'));
  home = join(dir, 'home');
  await mkdir(home);
  runDir = join(dir, 'runs', 'r1');
  await mkdir(runDir, { recursive: true });
  const manifest = {
    manifestVersion: 1,
    runId: 'r1',
    command: 'run',
    createdAt: '2026-11-27T00:00:00Z',
    updatedAt: '2026-11-27T00:00:00Z',
    engine: 'local',
    seed: 42,
    inputs: [{ role: 'test', path: join(dir, 'gone.csv'), rows: 3 }],
    versions: {},
    timings: {},
    resources: [],
    outputs: { submission: 'submission.csv' },
  };
  await writeFile(join(runDir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(join(runDir, 'submission.csv'), 'ImageId,Label\n1,3\n2,7\n3,1\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({
  PATH: [fakeBin, process.env.PATH ?? ''].join(delimiter),
  HOME: home,
  KAGGLE_FAKE_LOG: join(dir, 'calls.jsonl'),
  KAGGLE_USERNAME: '',
  KAGGLE_KEY: '',
  KAGGLE_CONFIG_DIR: '',
  XDG_CONFIG_HOME: '',
  ...extra,
});

describe('submit --wait and submissions (built binary, fake kaggle)', () => {
  it('submits a run, waits for the score and records it in the manifest', async () => {
    await mkdir(join(home, '.kaggle'), { recursive: true });
    await writeFile(join(home, '.kaggle', 'kaggle.json'), '{"username":"ada","key":"k"}');
    const r = await runCli(['submit', runDir, '--wait', '--poll-seconds', '0.05', '--json'], {
      env: env({ KAGGLE_FAKE_PENDING_POLLS: '2' }),
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ submitted: true, rows: 3, expectedRowsFrom: 'run', credentials: 'kaggle.json' });
    expect(out.score).toMatchObject({ polls: 3, tracked: [{ status: 'complete', publicScore: 0.98765 }] });
    const m = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8'));
    expect(m.kaggle.submissions).toEqual([
      expect.objectContaining({
        file: 'submission.csv',
        status: 'complete',
        publicScore: 0.98765,
        competition: 'digit-recognizer',
      }),
    ]);

    const s = await runCli(['submissions', runDir], { env: env() });
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^complete\s+public score 0\.98765\s+submission\.csv/m);
  });

  it('an error status exits 3 and is recorded', async () => {
    const r = await runCli(
      ['submit', join(runDir, 'submission.csv'), '-m', 'second', '--wait', '--poll-seconds', '0.05'],
      {
        env: env({ KAGGLE_FAKE_PENDING_POLLS: '0', KAGGLE_FAKE_FINAL_STATUS: 'error' }),
      },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error\[KAGGLE_SCORING_FAILED\]/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const m = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8'));
    expect(m.kaggle.submissions.map((x: { message: string; status: string }) => [x.message, x.status])).toEqual([
      [expect.stringMatching(/^digitflow r1 sha256:/), 'complete'],
      ['second', 'error'],
    ]);
  });

  it('a kaggle that exits non-zero is exit 3 with its output', async () => {
    const r = await runCli(['submissions', runDir], { env: env({ KAGGLE_FAKE_EXIT: '2' }) });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/KAGGLE_CLI_FAILED.*400 - Bad Request/);
  });
});

describe('issue #16 defect 4: one row rule, nothing submitted is an error', () => {
  it("validate-submission without --rows expects the competition's 28,000 rows, like submit", async () => {
    const sub = join(dir, 'two-thousand.csv');
    await writeFile(sub, 'ImageId,Label\n' + Array.from({ length: 2000 }, (_, i) => `${i + 1},1`).join('\n') + '\n');
    const v = await runCli(['validate-submission', sub], { env: env() });
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('2000 data rows, expected 28000');
    const s = await runCli(['submit', sub], { env: env() });
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('2000 data rows, expected 28000');
    const ok = await runCli(['validate-submission', sub, '--rows', '2000'], { env: env() });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('expected 2000, from --rows');
  });

  it('no kaggle on PATH, or no credentials: exit 3, the command to run printed, kaggle never called', async () => {
    const calls = async () =>
      (await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const before = await calls();
    const noCli = await runCli(['submit', runDir], {
      env: env({ PATH: join(dir, 'empty-bin') + delimiter + '/usr/bin' + delimiter + '/bin' }),
    });
    expect(noCli.code).toBe(3);
    expect(noCli.stderr).toContain('error[KAGGLE_CLI_NOT_FOUND]');
    expect(noCli.stderr).toContain('kaggle competitions submit -c digit-recognizer -f');
    const noCreds = await runCli(['submit', runDir], { env: env({ HOME: join(dir, 'empty-home') }) });
    expect(noCreds.code).toBe(3);
    expect(noCreds.stderr).toContain('error[KAGGLE_NO_CREDENTIALS]');
    expect(noCreds.stderr).toContain(join(dir, 'empty-home', '.kaggle', 'kaggle.json'));
    expect(await calls()).toBe(before);
  });
});
