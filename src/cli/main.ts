#!/usr/bin/env node
/**
 * The digitflow binary: builds the program, installs the signal handlers, and is the single place
 * that maps errors to text and exit codes.
 *
 * Signals: SIGINT (Ctrl-C) and SIGTERM both abort the command cleanly (training keeps its best
 * checkpoint, temp files are removed) and exit 130 / 143. A second signal exits at once, still
 * removing this process's temp files on the way out. Output into a closed pipe
 * (`digitflow help run | head -3`) ends the process quietly.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { renderError } from './handle-error.js';
import { setAbortController } from './context.js';
import { packageVersion } from '../version.js';
import { InterruptedError } from '../errors/index.js';
import { removeTempFilesSync } from '../adapters/atomic-file.js';
import { jsonSafe } from '../domain/terminal-text.js';

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };
/** The signal that interrupted this run, if any: its exit code wins over 130. */
let signalled: 'SIGINT' | 'SIGTERM' | undefined;

/** A closed stdout/stderr (the reader of a pipe went away): stop quietly, leaving nothing behind. */
function onStreamError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
    removeTempFilesSync();
    process.exit(process.exitCode ?? 0);
  }
  throw e;
}
process.stdout.on('error', onStreamError);
process.stderr.on('error', onStreamError);
process.on('exit', removeTempFilesSync);

// The AWS SDK versions are pinned (package.json) to releases that support Node 20, 22 and 24; the
// SDK's notice that its releases after January 2027 need Node 22 says nothing about these, and
// would print on every S3/SageMaker command on Node 20. A user can still turn it on with =false.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  setAbortController(controller);
  let interrupts = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    interrupts += 1;
    signalled ??= signal;
    if (interrupts > 1) {
      process.stderr.write('\ninterrupted again: removing temp files and exiting now\n');
      removeTempFilesSync();
      process.exit(SIGNAL_EXIT[signalled]);
    }
    const what = signal === 'SIGINT' ? 'interrupt received' : 'SIGTERM received';
    process.stderr.write(`\n${what}: stopping cleanly (press Ctrl-C again to quit at once)\n`);
    controller.abort(new InterruptedError(signal === 'SIGINT' ? 'interrupted by Ctrl-C' : 'terminated by SIGTERM'));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const program = buildProgram();
  // exitOverride is inherited only by commands created after it: set it on every command so that
  // usage errors of subcommands also come back here (exit 2) instead of exiting with 1.
  const override = (c: typeof program): void => {
    c.exitOverride();
    c.commands.forEach((sub) => override(sub as typeof program));
  };
  override(program);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0; commander already printed.
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (json) process.stdout.write(jsonSafe(JSON.stringify(renderError(e, packageVersion()).json)) + '\n');
      return 2;
    }
    const rendered = renderError(e, packageVersion());
    if (json) process.stdout.write(jsonSafe(JSON.stringify(rendered.json, null, 2)) + '\n');
    else process.stderr.write(rendered.text + '\n');
    // Interrupted by SIGTERM: 143, whichever layer built the InterruptedError.
    if (rendered.exitCode === 130 && signalled) return SIGNAL_EXIT[signalled];
    return rendered.exitCode;
  }
}

main(process.argv).then(
  (code) => {
    // A command may already have set a non-zero exit code after printing its result (inspect).
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
    // A command that finished its work despite the signal still reports it.
    if (signalled && process.exitCode === 0) process.exitCode = SIGNAL_EXIT[signalled];
  },
  (e) => {
    process.stderr.write(`error[BUG]: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
