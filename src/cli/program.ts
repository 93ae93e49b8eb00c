/**
 * The commander program: global flags and the list of commands. Each command lives in
 * `commands/<verb>.ts` and only parses flags, calls a stage and renders its result. The grammar
 * every command follows (positional object, `-o, --out`, named inputs, examples) is in grammar.ts.
 */
import { Command, Option } from 'commander';
import { packageVersion } from '../version.js';
import { parseInteger } from './options.js';
import { registerCommands } from './commands/index.js';
import { checkRequiredOptions, helpConfiguration, helpWidth, paragraphs } from './grammar.js';

export function buildProgram(): Command {
  const program = new Command('digitflow')
    .usage('<command> [options]')
    .description(
      paragraphs(
        'Digit recognizer, end to end: Kaggle CSVs, S3, SageMaker Linear Learner or a local TensorFlow.js model, batch prediction, argmax, submission, evaluation and comparison.',
        'With no arguments `digitflow run` does the whole local path on the bundled MNIST digits. Grammar: the file or run folder a command acts on comes first, `-o, --out` says where results go, other inputs are named options; `digitflow <command> --help` shows examples.',
      ),
    )
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--json', 'print one JSON object as the result (progress as JSON lines on stderr)'))
    .addOption(new Option('-q, --quiet', 'print only the result and errors'))
    .addOption(new Option('--seed <n>', 'seed for every random choice (recorded in the manifest)').argParser(parseInteger('--seed', 0, 2 ** 32 - 1)).default(42))
    .addOption(new Option('--no-color', 'no colour in terminal output'))
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp(helpConfiguration)
    .configureOutput({ getOutHelpWidth: () => helpWidth(process.stdout), getErrHelpWidth: () => helpWidth(process.stderr) })
    // Required options are checked here, after commander has reported unknown options.
    .hook('preAction', (_program, action) => checkRequiredOptions(action));
  registerCommands(program);
  return program;
}
