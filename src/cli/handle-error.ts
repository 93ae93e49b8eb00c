/**
 * The one place where errors become text and exit codes.
 * User and cloud errors: `error[CODE]: message` + `hint: ...`, never a stack trace.
 * Anything else is a bug: say so, show the stack, exit 1.
 */
import { isPipelineError, type ErrorCode } from '../errors/index.js';
import { CommanderError } from 'commander';
import { terminalSafe } from '../domain/terminal-text.js';

export interface RenderedError {
  exitCode: number;
  text: string;
  json: {
    error: { code: ErrorCode; message: string; hint?: string; fault: string; details?: Record<string, unknown> };
  };
}

const BUG_HINT = 'this is a bug in digitflow; please report it with the command you ran and the output above';

export function renderError(e: unknown, version: string): RenderedError {
  if (isPipelineError(e)) {
    // Messages quote input (CSV fields, file names, keys): escaped so they cannot drive the terminal.
    const lines = [`error[${e.code}]: ${terminalSafe(e.message)}`];
    if (e.hint) lines.push(`hint: ${terminalSafe(e.hint)}`);
    if (e.fault === 'internal') {
      lines.push(`this is a bug in digitflow ${version}; please report it`);
      if (e.stack) lines.push(e.stack);
    }
    return {
      exitCode: e.exitCode,
      text: lines.join('\n'),
      json: { error: { code: e.code, message: e.message, hint: e.hint, fault: e.fault, details: e.details } },
    };
  }
  if (e instanceof CommanderError) {
    return {
      exitCode: 2,
      text: '',
      json: { error: { code: 'USAGE', message: e.message, fault: 'user' } },
    };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    exitCode: 1,
    text:
      `error[BUG]: ${terminalSafe(err.message)}\n${BUG_HINT} (digitflow ${version}, ` +
      `node ${process.version})\n${err.stack ?? ''}`,
    json: { error: { code: 'BUG', message: err.message, hint: BUG_HINT, fault: 'internal' } },
  };
}
