/**
 * The official Kaggle CLI (`kaggle`), driven as a child process: where it is, where it would find
 * credentials, and running it with its output collected. The environment and home folder are
 * passed in (stages never read process.env), so tests point PATH at a fake `kaggle`.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CloudError, InterruptedError } from '../errors/index.js';
import type { StageDeps } from '../runtime/deps.js';

export type KaggleEnv = Record<string, string | undefined>;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable called `name` on env.PATH. */
export async function findOnPath(name: string, env: KaggleEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface KaggleCredentials {
  source: 'env' | 'kaggle.json';
  /** The kaggle.json used (source kaggle.json). */
  path?: string;
}

/**
 * The kaggle.json locations the Kaggle CLI reads, in its order: $KAGGLE_CONFIG_DIR, else
 * ~/.kaggle, else (XDG) $XDG_CONFIG_HOME/kaggle or ~/.config/kaggle.
 */
export function kaggleJsonCandidates(env: KaggleEnv, home: string): string[] {
  if (env.KAGGLE_CONFIG_DIR) return [join(env.KAGGLE_CONFIG_DIR, 'kaggle.json')];
  return [
    join(home, '.kaggle', 'kaggle.json'),
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'kaggle', 'kaggle.json'),
  ];
}

/** Where the Kaggle CLI would find credentials: KAGGLE_USERNAME + KAGGLE_KEY, else a readable kaggle.json. */
export async function findKaggleCredentials(env: KaggleEnv, home: string): Promise<KaggleCredentials | undefined> {
  if (env.KAGGLE_USERNAME && env.KAGGLE_KEY) return { source: 'env' };
  for (const path of kaggleJsonCandidates(env, home)) {
    try {
      await access(path, constants.R_OK);
      return { source: 'kaggle.json', path };
    } catch {
      // next location
    }
  }
  return undefined;
}

/** Runs `kaggle args...`; resolves with its exit code and combined output (each line also logged). */
export function runKaggle(
  path: string,
  args: string[],
  env: KaggleEnv,
  deps: StageDeps,
  opts: { log?: boolean } = {},
): Promise<{ code: number; output: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, {
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: deps.signal,
    });
    let output = '';
    let stdout = '';
    const collect = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString('utf8');
      output += text;
      if (isStdout) stdout += text;
      if (opts.log !== false)
        for (const line of text.split('\n'))
          if (line.trim()) deps.reporter.emit({ kind: 'log', source: 'kaggle', message: line });
    };
    child.stdout.on('data', (c: Buffer) => collect(c, true));
    child.stderr.on('data', (c: Buffer) => collect(c, false));
    child.on('error', (e) => {
      if (deps.signal?.aborted) reject(new InterruptedError('kaggle interrupted'));
      else reject(new CloudError('KAGGLE_CLI_FAILED', `could not run ${path}: ${e.message}`, { details: { path } }));
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output, stdout }));
  });
}
