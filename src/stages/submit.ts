/**
 * submit: validate, then hand the file to the official Kaggle CLI (`kaggle competitions submit`)
 * when it is installed and credentials exist; otherwise return the exact command to run.
 * Never sends an invalid file. The environment and home folder come in the input (stages never
 * read process.env), so tests can point PATH at a recording fake `kaggle`.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CloudError, InterruptedError } from '../errors/index.js';
import { DEFAULT_COMPETITION, DIGIT_RECOGNIZER_ROWS } from '../domain/submission.js';
import { assertValidSubmission, validateSubmissionStage } from './validate-submission.js';
import type { StageDeps } from './deps.js';

export interface SubmitInput {
  file: string;
  /** Kaggle competition slug. Default digit-recognizer. */
  competition?: string;
  message?: string;
  /** Expected rows; default 28,000 for digit-recognizer, unchecked for other competitions. */
  rows?: number;
  /** Environment to search PATH and credentials in, and to run `kaggle` with. */
  env: Record<string, string | undefined>;
  /** Home folder (for ~/.kaggle/kaggle.json). */
  home: string;
  /** Validate and print the command, but do not run it. */
  dryRun?: boolean;
}

export interface SubmitResult {
  file: string;
  competition: string;
  rows: number;
  submitted: boolean;
  /** Why the file was not submitted (when `submitted` is false). */
  reason?: 'kaggle-not-found' | 'no-credentials' | 'dry-run';
  /** argv of the Kaggle CLI call, and the same as a shell command line. */
  command: string[];
  commandLine: string;
  kagglePath?: string;
  credentials?: 'env' | 'kaggle.json';
  /** What the Kaggle CLI printed (stdout + stderr). */
  kaggleOutput?: string;
}

export { DEFAULT_COMPETITION };

/** Quotes one argument for a POSIX shell. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First `kaggle` executable on env.PATH. */
export async function findOnPath(name: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Where the Kaggle CLI would find credentials: env vars first, then kaggle.json. */
export async function findKaggleCredentials(env: Record<string, string | undefined>, home: string): Promise<'env' | 'kaggle.json' | undefined> {
  if (env.KAGGLE_USERNAME && env.KAGGLE_KEY) return 'env';
  const dir = env.KAGGLE_CONFIG_DIR ?? join(home, '.kaggle');
  try {
    await access(join(dir, 'kaggle.json'), constants.R_OK);
    return 'kaggle.json';
  } catch {
    return undefined;
  }
}

function runKaggle(path: string, args: string[], env: Record<string, string | undefined>, deps: StageDeps): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], signal: deps.signal });
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      for (const line of text.split('\n')) if (line.trim()) deps.reporter.emit({ kind: 'log', source: 'kaggle', message: line });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (e) => {
      if (deps.signal?.aborted) reject(new InterruptedError('submit interrupted'));
      else reject(new CloudError('KAGGLE_CLI_FAILED', `could not run ${path}: ${e.message}`, { details: { path } }));
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Validates `file`, then submits it with the Kaggle CLI or returns the command to run. */
export async function submitStage(input: SubmitInput, deps: StageDeps): Promise<SubmitResult> {
  const competition = input.competition ?? DEFAULT_COMPETITION;
  const rows = input.rows ?? (competition === DEFAULT_COMPETITION ? DIGIT_RECOGNIZER_ROWS : undefined);
  const check = await validateSubmissionStage({ file: input.file, rows }, deps);
  assertValidSubmission(check);
  const message = input.message ?? `digitflow ${input.file}`;
  const args = ['competitions', 'submit', '-c', competition, '-f', input.file, '-m', message];
  const base: SubmitResult = {
    file: input.file,
    competition,
    rows: check.rows,
    submitted: false,
    command: ['kaggle', ...args],
    commandLine: ['kaggle', ...args].map(shellQuote).join(' '),
  };
  const kagglePath = await findOnPath('kaggle', input.env);
  if (!kagglePath) return { ...base, reason: 'kaggle-not-found' };
  const credentials = await findKaggleCredentials(input.env, input.home);
  if (!credentials) return { ...base, kagglePath, reason: 'no-credentials' };
  if (input.dryRun) return { ...base, kagglePath, credentials, reason: 'dry-run' };
  deps.reporter.emit({ kind: 'step', step: 'submit', message: `submitting ${input.file} to ${competition}` });
  const { code, output } = await runKaggle(kagglePath, args, input.env, deps);
  if (code !== 0) {
    throw new CloudError('KAGGLE_SUBMIT_FAILED', `kaggle competitions submit exited with code ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`, {
      hint: 'check that you accepted the competition rules on kaggle.com and that your API token is current; the file itself passed validation',
      details: { exitCode: code, output, command: base.command },
    });
  }
  return { ...base, submitted: true, kagglePath, credentials, kaggleOutput: output };
}
