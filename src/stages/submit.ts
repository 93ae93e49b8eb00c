/**
 * submit: validate, then hand the file to the official Kaggle CLI (`kaggle competitions submit`)
 * and record the submission in the run's manifest (`kaggle.submissions[]`: file sha256, message,
 * time, competition) so `submissions` can read its public score back. Never sends an invalid file;
 * nothing submitted (no `kaggle`, no credentials) is an error, with the exact command to run.
 */
import { relative } from 'node:path';
import { CloudError } from '../errors/index.js';
import { DEFAULT_COMPETITION } from '../domain/submission.js';
import { defaultSubmissionMessage, type KaggleSubmissionRecord } from '../domain/kaggle-submission.js';
import { sha256File } from '../adapters/file-hash.js';
import {
  findKaggleCredentials,
  findOnPath,
  kaggleJsonCandidates,
  runKaggle,
  type KaggleCredentials,
  type KaggleEnv,
} from '../adapters/kaggle-cli.js';
import { readManifest, writeManifest } from '../adapters/run-store.js';
import { assertValidSubmission, resolveSubmissionTarget, validateSubmissionStage } from './validate-submission.js';
import type { ExpectedRowsSource } from '../domain/kaggle-submission.js';
import type { StageDeps } from '../runtime/deps.js';

export interface SubmitInput {
  /** The submission CSV, or a run folder (its submission.csv). */
  file: string;
  /** Kaggle competition slug. Default digit-recognizer. */
  competition?: string;
  message?: string;
  /** Expected rows; default: --test's rows, else the run's test rows, else the competition's (28,000). */
  rows?: number;
  /** A test CSV whose data rows give the expected count. */
  test?: string;
  /** Environment to search PATH and credentials in, and to run `kaggle` with. */
  env: KaggleEnv;
  /** Home folder (for ~/.kaggle/kaggle.json and ~/.config/kaggle/kaggle.json). */
  home: string;
  /** Validate and print the command, but do not run it. */
  dryRun?: boolean;
}

export interface SubmitResult {
  file: string;
  competition: string;
  rows: number;
  expectedRowsFrom: ExpectedRowsSource;
  submitted: boolean;
  /** Why the file was not submitted (only a dry run returns without submitting). */
  reason?: 'dry-run';
  /** argv of the Kaggle CLI call, and the same as a shell command line. */
  command: string[];
  commandLine: string;
  kagglePath?: string;
  credentials?: KaggleCredentials['source'];
  /** What the Kaggle CLI printed (stdout + stderr). */
  kaggleOutput?: string;
  /** The run whose manifest recorded the submission. */
  runDir?: string;
  record?: KaggleSubmissionRecord;
}

export { DEFAULT_COMPETITION };

/** Quotes one argument for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The Kaggle CLI and its credentials, or the error saying which is missing and what to do. */
export async function requireKaggle(
  env: KaggleEnv,
  home: string,
  commandLine?: string,
): Promise<{ kagglePath: string; credentials: KaggleCredentials }> {
  const manual = commandLine ? `; or run it yourself: ${commandLine}` : '';
  const kagglePath = await findOnPath('kaggle', env);
  if (!kagglePath) {
    throw new CloudError(
      'KAGGLE_CLI_NOT_FOUND',
      'the Kaggle CLI (`kaggle`) is not on PATH, so nothing was sent to Kaggle',
      {
        hint: `install it with \`pip install kaggle\`${manual}`,
        details: { command: commandLine },
      },
    );
  }
  const credentials = await findKaggleCredentials(env, home);
  if (!credentials) {
    const where = kaggleJsonCandidates(env, home).join(' or ');
    throw new CloudError(
      'KAGGLE_NO_CREDENTIALS',
      `no Kaggle credentials (looked for KAGGLE_USERNAME/KAGGLE_KEY and ${where}), so nothing was sent to Kaggle`,
      {
        hint:
          `create an API token on kaggle.com (Settings → API) ` +
          `and save it as ${kaggleJsonCandidates(env, home)[0]}${manual}`,
        details: { command: commandLine, looked: kaggleJsonCandidates(env, home) },
      },
    );
  }
  return { kagglePath, credentials };
}

/** Validates the file, submits it with the Kaggle CLI and records it in its run's manifest. */
export async function submitStage(input: SubmitInput, deps: StageDeps): Promise<SubmitResult> {
  const competition = input.competition ?? DEFAULT_COMPETITION;
  const target = await resolveSubmissionTarget(input.file);
  const check = await validateSubmissionStage(
    { file: target.file, rows: input.rows, test: input.test, competition },
    deps,
  );
  assertValidSubmission(check);
  const hash = await sha256File(target.file);
  const label = target.manifest?.runId ?? target.file.split(/[\\/]/).pop() ?? target.file;
  const message = input.message ?? defaultSubmissionMessage(label, hash.sha256);
  const args = ['competitions', 'submit', '-c', competition, '-f', target.file, '-m', message];
  const base: SubmitResult = {
    file: target.file,
    competition,
    rows: check.rows,
    expectedRowsFrom: check.expectedRowsFrom,
    submitted: false,
    command: ['kaggle', ...args],
    commandLine: ['kaggle', ...args].map(shellQuote).join(' '),
    runDir: target.runDir,
  };
  if (input.dryRun) {
    const kagglePath = await findOnPath('kaggle', input.env);
    const credentials = await findKaggleCredentials(input.env, input.home);
    return { ...base, kagglePath, credentials: credentials?.source, reason: 'dry-run' };
  }
  const { kagglePath, credentials } = await requireKaggle(input.env, input.home, base.commandLine);
  deps.reporter.emit({ kind: 'step', step: 'submit', message: `submitting ${target.file} to ${competition}` });
  const submittedAt = new Date(deps.clock.now()).toISOString();
  const { code, output } = await runKaggle(kagglePath, args, input.env, deps);
  if (code !== 0) {
    throw new CloudError(
      'KAGGLE_SUBMIT_FAILED',
      `kaggle competitions submit exited with code ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`,
      {
        hint:
          'check that you accepted the competition rules on kaggle.com and that your API token is current; ' +
          'the file itself passed validation',
        details: { exitCode: code, output, command: base.command },
      },
    );
  }
  const record: KaggleSubmissionRecord = {
    competition,
    file: target.runDir ? relative(target.runDir, target.file) : target.file,
    sha256: hash.sha256,
    bytes: hash.bytes,
    rows: check.rows,
    message,
    submittedAt,
    status: 'pending',
  };
  if (target.runDir) {
    // Re-read: another command may have updated the manifest since validation.
    const manifest = await readManifest(target.runDir);
    manifest.kaggle = { submissions: [...(manifest.kaggle?.submissions ?? []), record] };
    await writeManifest(target.runDir, manifest, new Date(deps.clock.now()));
  }
  return { ...base, submitted: true, kagglePath, credentials: credentials.source, kaggleOutput: output, record };
}
