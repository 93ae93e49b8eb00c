/**
 * submissions: read `kaggle competitions submissions -c <slug> --csv`, match each row to the
 * submissions a run recorded (same message and file name), and store status and public score in
 * the run's manifest. With `wait`, poll until every tracked submission is scored (or errored).
 */
import { CloudError, InterruptedError } from '../errors/index.js';
import { DEFAULT_COMPETITION } from '../domain/submission.js';
import {
  matchListingRow,
  parseSubmissionListing,
  type KaggleListingRow,
  type KaggleSubmissionRecord,
} from '../domain/kaggle-submission.js';
import { runKaggle, type KaggleEnv } from '../adapters/kaggle-cli.js';
import { readManifest, writeManifest } from '../adapters/run-store.js';
import { requireKaggle } from './submit.js';
import type { StageDeps } from '../runtime/deps.js';

export interface SubmissionsInput {
  /** The run whose recorded submissions are tracked (and whose manifest is updated). */
  runDir?: string;
  /** Submissions to track when there is no run (e.g. `submit file.csv --wait`). */
  records?: KaggleSubmissionRecord[];
  /** Competition to list; default: the tracked submissions', else digit-recognizer. */
  competition?: string;
  env: KaggleEnv;
  home: string;
  /** Poll until every tracked submission is complete or errored. */
  wait?: boolean;
  /** Seconds between polls (default 10). */
  pollSeconds?: number;
  /** Give up waiting after this many seconds (default 1800). */
  timeoutSeconds?: number;
}

export interface SubmissionsResult {
  competition: string;
  runDir?: string;
  /** The Kaggle listing as last read. */
  listing: KaggleListingRow[];
  /** The tracked submissions with what Kaggle says about them. */
  tracked: KaggleSubmissionRecord[];
  polls: number;
}

const isFinal = (r: KaggleSubmissionRecord) => r.status === 'complete' || r.status === 'error';

async function listSubmissions(
  kagglePath: string,
  competition: string,
  env: KaggleEnv,
  deps: StageDeps,
): Promise<KaggleListingRow[]> {
  const args = ['competitions', 'submissions', '-c', competition, '--csv'];
  const { code, output, stdout } = await runKaggle(kagglePath, args, env, deps, { log: false });
  if (code !== 0) {
    throw new CloudError(
      'KAGGLE_CLI_FAILED',
      `kaggle ${args.join(' ')} exited with code ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`,
      {
        hint:
          'check your Kaggle API token and that you joined the competition; ' +
          'the submission itself is recorded and can be checked later with `digitflow submissions <run>`',
        details: { exitCode: code, output, command: ['kaggle', ...args] },
      },
    );
  }
  try {
    return parseSubmissionListing(stdout);
  } catch (e) {
    throw new CloudError(
      'KAGGLE_CLI_FAILED',
      `could not read the output of kaggle ${args.join(' ')}: ${(e as Error).message}`,
      {
        hint:
          'update the Kaggle CLI (`pip install -U kaggle`); digitflow reads the columns fileName, date, ' +
          'description, status, publicScore',
        details: { output },
      },
    );
  }
}

/** Lists the competition's submissions and updates (and optionally waits for) the tracked ones. */
export async function submissionsStage(input: SubmissionsInput, deps: StageDeps): Promise<SubmissionsResult> {
  let tracked: KaggleSubmissionRecord[] = input.records ? input.records.map((r) => ({ ...r })) : [];
  if (input.runDir) tracked = (await readManifest(input.runDir)).kaggle?.submissions.map((r) => ({ ...r })) ?? [];
  const competition = input.competition ?? tracked.at(-1)?.competition ?? DEFAULT_COMPETITION;
  const { kagglePath } = await requireKaggle(input.env, input.home);
  const pollMs = Math.max(0, (input.pollSeconds ?? 10) * 1000);
  const timeoutMs = (input.timeoutSeconds ?? 1800) * 1000;
  const started = deps.clock.now();
  let polls = 0;
  let listing: KaggleListingRow[];
  for (;;) {
    if (deps.signal?.aborted)
      throw new InterruptedError('stopped waiting for the Kaggle score; run `digitflow submissions <run>` later');
    listing = await listSubmissions(kagglePath, competition, input.env, deps);
    polls++;
    let changed = false;
    for (const rec of tracked) {
      if (rec.competition !== competition || isFinal(rec)) continue;
      const row = matchListingRow(rec, listing);
      if (!row) continue;
      const before = JSON.stringify(rec);
      rec.status = row.status;
      rec.kaggleDate = row.date;
      if (row.publicScore !== undefined) rec.publicScore = row.publicScore;
      if (row.privateScore !== undefined) rec.privateScore = row.privateScore;
      if (isFinal(rec)) rec.scoredAt = new Date(deps.clock.now()).toISOString();
      if (JSON.stringify(rec) !== before) changed = true;
    }
    if (changed && input.runDir) {
      // Read-modify-write by message + time so records added meanwhile are kept.
      const manifest = await readManifest(input.runDir);
      const list = manifest.kaggle?.submissions ?? [];
      manifest.kaggle = {
        submissions: list.map(
          (r) => tracked.find((t) => t.message === r.message && t.submittedAt === r.submittedAt) ?? r,
        ),
      };
      await writeManifest(input.runDir, manifest, new Date(deps.clock.now()));
    }
    const open = tracked.filter((r) => r.competition === competition && !isFinal(r));
    for (const r of tracked.filter((t) => t.competition === competition)) {
      deps.reporter.emit({
        kind: 'status',
        resource: `kaggle ${r.message}`,
        status: r.status,
        secondary: r.publicScore !== undefined ? `public score ${r.publicScore}` : undefined,
        elapsedSeconds: (deps.clock.now() - started) / 1000,
      });
    }
    if (!input.wait || open.length === 0) break;
    if (deps.clock.now() - started >= timeoutMs) {
      throw new CloudError(
        'KAGGLE_WAIT_TIMEOUT',
        `${open.length} submission(s) still ${open.map((r) => r.status).join(', ')} after ` +
          `${Math.round(timeoutMs / 1000)} s`,
        {
          hint:
            'Kaggle is still scoring: check again later with `digitflow submissions <run>` (the submission is ' +
            'recorded)',
          details: { pending: open.map((r) => r.message) },
        },
      );
    }
    await deps.clock.sleep(pollMs, deps.signal).catch(() => {
      throw new InterruptedError('stopped waiting for the Kaggle score; run `digitflow submissions <run>` later');
    });
  }
  const failed = tracked.filter((r) => r.competition === competition && r.status === 'error');
  if (input.wait && failed.length) {
    throw new CloudError(
      'KAGGLE_SCORING_FAILED',
      `Kaggle could not score ${failed.map((r) => `${r.file} (${JSON.stringify(r.message)})`).join(', ')}: ` +
        `status error`,
      {
        hint:
          'open the competition\'s "My Submissions" page on kaggle.com for the reason; ' +
          'the status is recorded in the manifest',
        details: { failed },
      },
    );
  }
  return { competition, runDir: input.runDir, listing, tracked, polls };
}
