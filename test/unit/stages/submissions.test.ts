/**
 * The Kaggle score loop: reading the CLI's listing, matching rows to recorded submissions, the
 * one expected-row-count rule, and submit → submissions against the fake `kaggle` (pending →
 * complete, an error status, a CLI that exits non-zero), with the manifest updated.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  expectedSubmissionRows,
  matchListingRow,
  normaliseStatus,
  parseSubmissionListing,
  type KaggleSubmissionRecord,
} from '../../../src/domain/kaggle-submission.js';
import { submitStage } from '../../../src/stages/submit.js';
import { submissionsStage } from '../../../src/stages/submissions.js';
import { validateSubmissionStage } from '../../../src/stages/validate-submission.js';
import { defaultDeps, type Clock } from '../../../src/runtime/deps.js';
import type { RunManifest } from '../../../src/domain/manifest.js';
import { writeRun } from '../../fixtures/probabilities/make-run.js';

const fakeBin = fileURLToPath(new URL('../../fixtures/kaggle-bin', import.meta.url));
let dir: string;
let log: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kaggle-loop-'));
  log = join(dir, 'calls.jsonl');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({
  PATH: [fakeBin, process.env.PATH ?? ''].join(delimiter),
  KAGGLE_FAKE_LOG: log,
  KAGGLE_USERNAME: 'ada',
  KAGGLE_KEY: 'k',
  ...extra,
});
/** A clock whose sleeps return at once but advance time, so polling needs no real waiting. */
function fastClock(): Clock & { slept: number[] } {
  let t = Date.parse('2026-11-27T10:00:00Z');
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
}

describe('the Kaggle CLI listing', () => {
  it('reads the real columns, skips a warning printed before the header, and normalises both status styles', () => {
    const out =
      "Warning: Looks like you're using an outdated API Version\n" +
      'fileName,date,description,status,publicScore,privateScore\r\n' +
      'submission.csv,2026-11-27 10:00:05,"digitflow a, b",SubmissionStatus.COMPLETE,0.97543,None\r\n' +
      'sub.csv,2026-11-27 09:00:00,try,pending,,\r\n';
    const rows = parseSubmissionListing(out);
    expect(rows).toEqual([
      {
        fileName: 'submission.csv',
        date: '2026-11-27 10:00:05',
        description: 'digitflow a, b',
        status: 'complete',
        rawStatus: 'SubmissionStatus.COMPLETE',
        publicScore: 0.97543,
        privateScore: undefined,
      },
      {
        fileName: 'sub.csv',
        date: '2026-11-27 09:00:00',
        description: 'try',
        status: 'pending',
        rawStatus: 'pending',
        publicScore: undefined,
        privateScore: undefined,
      },
    ]);
    expect(normaliseStatus('SubmissionStatus.ERROR')).toBe('error');
    expect(normaliseStatus('complete')).toBe('complete');
    expect(normaliseStatus('weird')).toBe('unknown');
    expect(parseSubmissionListing('No submissions found\n')).toEqual([]);
    expect(() => parseSubmissionListing('<html>login</html>')).toThrow(/no "fileName/);
  });

  it('matches a record by message and file name, never an older submission with the same message', () => {
    const rec = {
      file: 'submission.csv',
      message: 'm1',
      submittedAt: '2026-11-27T10:00:00.000Z',
    } as KaggleSubmissionRecord;
    const rows = parseSubmissionListing(
      'fileName,date,description,status,publicScore,privateScore\n' +
        'submission.csv,2026-11-27 10:00:03,m1,complete,0.99,\n' +
        'other.csv,2026-11-27 10:00:04,m1,complete,0.5,\n' +
        'submission.csv,2026-11-20 10:00:00,m1,complete,0.8,\n',
    );
    expect(matchListingRow(rec, rows)?.publicScore).toBe(0.99);
    expect(matchListingRow({ ...rec, submittedAt: '2026-11-28T00:00:00.000Z' }, rows)).toBeUndefined();
    expect(matchListingRow({ ...rec, message: 'm2' }, rows)).toBeUndefined();
  });

  it('one rule for the expected row count: --rows, --test, the run, the competition', () => {
    expect(expectedSubmissionRows({ rows: 5, testRows: 7, runTestRows: 9 })).toEqual({ rows: 5, from: 'rows' });
    expect(expectedSubmissionRows({ testRows: 7, runTestRows: 9 })).toEqual({ rows: 7, from: 'test' });
    expect(expectedSubmissionRows({ runTestRows: 9 })).toEqual({ rows: 9, from: 'run' });
    expect(expectedSubmissionRows({})).toEqual({ rows: 28000, from: 'competition' });
    expect(expectedSubmissionRows({ competition: 'titanic' })).toEqual({ from: 'none' });
  });
});

async function makeRun(testRows?: number): Promise<string> {
  const runDir = join(dir, 'run-a');
  await writeRun(runDir, {
    runId: 'run-a',
    extra: testRows ? { inputs: [{ role: 'test', path: 'gone.csv', rows: testRows }] } : {},
  });
  await writeFile(join(runDir, 'submission.csv'), 'ImageId,Label\n1,3\n2,7\n3,1\n');
  return runDir;
}
const manifestOf = async (runDir: string) =>
  JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8')) as RunManifest;

describe('validate-submission and submit share the row rule', () => {
  it("a file in a run folder is checked against the run's test rows, a stray file against 28,000", async () => {
    const runDir = await makeRun(3);
    const r = await validateSubmissionStage({ file: join(runDir, 'submission.csv') }, defaultDeps());
    expect(r).toMatchObject({ valid: true, expectedRows: 3, expectedRowsFrom: 'run', runDir });
    const stray = join(dir, 'stray.csv');
    await writeFile(stray, 'ImageId,Label\n1,3\n');
    const s = await validateSubmissionStage({ file: stray }, defaultDeps());
    expect(s).toMatchObject({ valid: false, expectedRows: 28000, expectedRowsFrom: 'competition' });
    await expect(
      submitStage({ file: stray, env: env({ KAGGLE_FAKE_LOG: log }), home: dir }, defaultDeps()),
    ).rejects.toMatchObject({ code: 'SUBMISSION_INVALID' });
  });
});

describe('submit → submissions (fake kaggle)', () => {
  it('records the submission in the run and waits: pending → complete, public score stored', async () => {
    const runDir = await makeRun(3);
    const clock = fastClock();
    const deps = defaultDeps({ clock });
    const s = await submitStage({ file: runDir, env: env(), home: dir }, deps);
    expect(s.submitted).toBe(true);
    const m1 = await manifestOf(runDir);
    expect(m1.kaggle?.submissions).toHaveLength(1);
    const rec = m1.kaggle!.submissions[0];
    expect(rec).toMatchObject({
      competition: 'digit-recognizer',
      file: 'submission.csv',
      rows: 3,
      status: 'pending',
      submittedAt: '2026-11-27T10:00:00.000Z',
    });
    expect(rec.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.message).toBe(`digitflow run-a sha256:${rec.sha256.slice(0, 12)}`);

    const w = await submissionsStage(
      { runDir, env: env({ KAGGLE_FAKE_PENDING_POLLS: '2' }), home: dir, wait: true, pollSeconds: 5 },
      deps,
    );
    expect(w.polls).toBe(3);
    expect(clock.slept).toEqual([5000, 5000]);
    expect(w.tracked[0]).toMatchObject({ status: 'complete', publicScore: 0.98765 });
    const m2 = await manifestOf(runDir);
    expect(m2.kaggle!.submissions[0]).toMatchObject({
      status: 'complete',
      publicScore: 0.98765,
      message: rec.message,
      scoredAt: expect.any(String),
    });
    // The unrelated older submission in the listing did not leak into the run.
    expect(m2.kaggle!.submissions).toHaveLength(1);
  });

  it('a file outside any run is tracked from the submit result (nothing written anywhere)', async () => {
    const loose = join(dir, 'loose.csv');
    await writeFile(loose, 'ImageId,Label\n1,3\n2,7\n');
    const deps = defaultDeps({ clock: fastClock() });
    const s = await submitStage({ file: loose, rows: 2, message: 'loose one', env: env(), home: dir }, deps);
    expect(s).toMatchObject({
      submitted: true,
      runDir: undefined,
      record: { file: loose, message: 'loose one', rows: 2 },
    });
    const w = await submissionsStage(
      { records: [s.record!], env: env({ KAGGLE_FAKE_PENDING_POLLS: '1' }), home: dir, wait: true, pollSeconds: 1 },
      deps,
    );
    expect(w.tracked).toEqual([
      expect.objectContaining({ status: 'complete', publicScore: 0.98765, message: 'loose one' }),
    ]);
    expect(w.runDir).toBeUndefined();
  });

  it("without a run it lists the competition's submissions and tracks nothing", async () => {
    const w = await submissionsStage({ env: env(), home: dir }, defaultDeps({ clock: fastClock() }));
    expect(w).toMatchObject({ competition: 'digit-recognizer', tracked: [], polls: 1 });
    expect(w.listing).toEqual([
      expect.objectContaining({
        fileName: 'submission.csv',
        description: 'an old one',
        status: 'complete',
        publicScore: 0.91,
      }),
    ]);
    expect(
      JSON.parse(`[${(await readFile(log, 'utf8')).trim().split('\n').join(',')}]`).map(
        (c: { argv: string[] }) => c.argv,
      ),
    ).toEqual([['competitions', 'submissions', '-c', 'digit-recognizer', '--csv']]);
  });

  it('reads the kaggle >= 1.7 status style too', async () => {
    const runDir = await makeRun(3);
    const deps = defaultDeps({ clock: fastClock() });
    await submitStage({ file: runDir, env: env(), home: dir }, deps);
    const w = await submissionsStage(
      {
        runDir,
        env: env({ KAGGLE_FAKE_PENDING_POLLS: '0', KAGGLE_FAKE_STATUS_STYLE: 'enum', KAGGLE_FAKE_SCORE: '0.5' }),
        home: dir,
      },
      deps,
    );
    expect(w.tracked[0]).toMatchObject({ status: 'complete', publicScore: 0.5 });
  });

  it('an error status is recorded and, when waiting, is a cloud error', async () => {
    const runDir = await makeRun(3);
    const deps = defaultDeps({ clock: fastClock() });
    await submitStage({ file: runDir, env: env(), home: dir }, deps);
    await expect(
      submissionsStage(
        {
          runDir,
          env: env({ KAGGLE_FAKE_PENDING_POLLS: '1', KAGGLE_FAKE_FINAL_STATUS: 'error' }),
          home: dir,
          wait: true,
          pollSeconds: 1,
        },
        deps,
      ),
    ).rejects.toMatchObject({ code: 'KAGGLE_SCORING_FAILED', exitCode: 3 });
    expect((await manifestOf(runDir)).kaggle!.submissions[0]).toMatchObject({ status: 'error' });
    expect((await manifestOf(runDir)).kaggle!.submissions[0].publicScore).toBeUndefined();
  });

  it('gives up after --timeout with the submission still pending in the manifest', async () => {
    const runDir = await makeRun(3);
    const deps = defaultDeps({ clock: fastClock() });
    await submitStage({ file: runDir, env: env(), home: dir }, deps);
    await expect(
      submissionsStage(
        {
          runDir,
          env: env({ KAGGLE_FAKE_PENDING_POLLS: '100' }),
          home: dir,
          wait: true,
          pollSeconds: 10,
          timeoutSeconds: 30,
        },
        deps,
      ),
    ).rejects.toMatchObject({ code: 'KAGGLE_WAIT_TIMEOUT', exitCode: 3 });
    expect((await manifestOf(runDir)).kaggle!.submissions[0]).toMatchObject({ status: 'pending' });
  });

  it('a kaggle that exits non-zero, or is missing, is an error and the manifest is unchanged', async () => {
    const runDir = await makeRun(3);
    const deps = defaultDeps({ clock: fastClock() });
    await submitStage({ file: runDir, env: env(), home: dir }, deps);
    const before = await readFile(join(runDir, 'manifest.json'), 'utf8');
    await expect(
      submissionsStage({ runDir, env: env({ KAGGLE_FAKE_EXIT: '1' }), home: dir, wait: true }, deps),
    ).rejects.toMatchObject({
      code: 'KAGGLE_CLI_FAILED',
      exitCode: 3,
      message: expect.stringContaining('400 - Bad Request'),
    });
    await expect(
      submissionsStage(
        { runDir, env: { PATH: join(dir, 'nowhere'), KAGGLE_USERNAME: 'a', KAGGLE_KEY: 'k' }, home: dir },
        deps,
      ),
    ).rejects.toMatchObject({
      code: 'KAGGLE_CLI_NOT_FOUND',
    });
    expect(await readFile(join(runDir, 'manifest.json'), 'utf8')).toBe(before);
  });
});
