#!/usr/bin/env node
/**
 * The digitflow binary: builds the program, installs the Ctrl-C handler, and is the single place
 * that maps errors to text and exit codes.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { renderError } from './handle-error.js';
import { setAbortController } from './context.js';
import { packageVersion } from '../version.js';
import { InterruptedError } from '../errors/index.js';

// The AWS SDK versions are pinned (package.json) to releases that support Node 20, 22 and 24; the
// SDK's notice that its releases after January 2027 need Node 22 says nothing about these, and
// would print on every S3/SageMaker command on Node 20. A user can still turn it on with =false.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  setAbortController(controller);
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts += 1;
    if (interrupts > 1) {
      process.stderr.write('\ninterrupted again: exiting now\n');
      process.exit(130);
    }
    process.stderr.write('\ninterrupt received: stopping cleanly (press Ctrl-C again to quit at once)\n');
    controller.abort(new InterruptedError('interrupted by Ctrl-C'));
  });

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
      if (json) process.stdout.write(JSON.stringify(renderError(e, packageVersion()).json) + '\n');
      return 2;
    }
    const rendered = renderError(e, packageVersion());
    if (json) process.stdout.write(JSON.stringify(rendered.json, null, 2) + '\n');
    else process.stderr.write(rendered.text + '\n');
    return rendered.exitCode;
  }
}

main(process.argv).then(
  (code) => {
    // A command may already have set a non-zero exit code after printing its result (inspect).
    if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error[BUG]: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
