/**
 * Per-invocation CLI context built from the global flags: how to report progress, how to print
 * the result (text or one JSON object), and the StageDeps every stage receives.
 */
import type { Command } from 'commander';
import { createReporter, type OutputMode } from './reporters.js';
import { systemClock, type StageDeps } from '../stages/deps.js';
import { jsonSafe, terminalSafe } from '../domain/terminal-text.js';

export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  seed: number;
  color: boolean;
}

export interface CliContext {
  globals: GlobalOptions;
  deps: StageDeps;
  mode: OutputMode;
  /** Prints the command's result: `--json` gives the object, otherwise `text(result)`. */
  output<T>(result: T, text: (r: T) => string): void;
  /** Whether stdout is a colour-capable terminal (for tables, confusion matrices). */
  color: boolean;
  close(): void;
}

let abortController: AbortController | undefined;
/** The process-wide abort signal (Ctrl-C), installed by main. */
export function setAbortController(c: AbortController): void {
  abortController = c;
}

/**
 * `-o, --out <file>` of the commands whose result is a report on stdout (inspect, compare,
 * validate-submission, cleanup): the same object `--json` prints, saved atomically.
 */
export async function saveResult(path: string | undefined, result: unknown, force?: boolean): Promise<void> {
  if (path === undefined) return;
  const { writeJsonAtomic } = await import('../adapters/atomic-file.js');
  await writeJsonAtomic(path, result, { force });
}

export function globalsOf(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Partial<GlobalOptions> & { color?: boolean };
  return {
    json: Boolean(o.json),
    quiet: Boolean(o.quiet),
    seed: typeof o.seed === 'number' ? o.seed : 42,
    color: o.color !== false,
  };
}

export function createContext(cmd: Command): CliContext {
  const globals = globalsOf(cmd);
  const mode: OutputMode = globals.json ? 'json' : process.stderr.isTTY ? 'tty' : 'plain';
  const reporter = createReporter({ mode, quiet: globals.quiet });
  const color = globals.color && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  return {
    globals,
    mode,
    color,
    deps: { reporter, clock: systemClock, signal: abortController?.signal },
    output(result, text) {
      reporter.close();
      if (globals.json) process.stdout.write(jsonSafe(JSON.stringify(result, null, 2)) + '\n');
      else {
        // Names and values from input are escaped; the colours digitflow adds itself are kept.
        const t = terminalSafe(text(result), { keepColours: color });
        if (t) process.stdout.write(t.endsWith('\n') ? t : t + '\n');
      }
    },
    close: () => reporter.close(),
  };
}
