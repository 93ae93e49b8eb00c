/**
 * The commander program: global flags and the list of commands. Each command lives in
 * `commands/<verb>.ts` and only parses flags, calls a stage and renders its result.
 */
import { Command, Option } from 'commander';
import { packageVersion } from '../version.js';
import { parseInteger } from './options.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('digitflow')
    .description(
      'Digit recognizer, end to end: Kaggle CSVs -> S3 -> SageMaker Linear Learner or a local TensorFlow.js model\n' +
        '-> batch prediction -> argmax -> submission -> evaluation and comparison.\n' +
        'With no arguments `digitflow run` does the whole local path on the bundled MNIST digits.',
    )
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--json', 'print one JSON object as the result (progress as JSON lines on stderr)'))
    .addOption(new Option('-q, --quiet', 'print only the result and errors'))
    .addOption(new Option('--seed <n>', 'seed for every random choice (recorded in the manifest)').argParser(parseInteger('--seed', 0, 2 ** 32 - 1)).default(42))
    .addOption(new Option('--no-color', 'no colour in terminal output'))
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });
  registerCommands(program);
  return program;
}
