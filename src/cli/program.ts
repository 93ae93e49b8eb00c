/**
 * The commander program: global flags and the list of commands. Each command lives in
 * `commands/<verb>.ts` and only parses flags, calls a stage and renders its result. The grammar
 * every command follows (positional object, `-o, --out`, named inputs, examples) is in grammar.ts.
 */
import { Command, Option } from 'commander';
import { packageVersion } from '../version.js';
import { parseInteger } from './options.js';
import { registerCommands } from './commands/index.js';
import { DEFAULT_LIMITS, setLimits } from '../adapters/limits.js';
import { checkRequiredOptions, helpConfiguration, helpWidth, paragraphs } from './grammar.js';

export function buildProgram(): Command {
  const program = new Command('digitflow')
    .usage('<command> [options]')
    .description(
      paragraphs(
        'Digit recognizer, end to end: Kaggle CSVs, S3, SageMaker Linear Learner or a local TensorFlow.js ' +
          'model, batch prediction, argmax, submission, evaluation and comparison.',
        'With no arguments `digitflow run` does the whole local path on the bundled MNIST digits. Grammar: ' +
          'the file or run folder a command acts on comes first, `-o, --out` says where results go, ' +
          'other inputs are named options; `digitflow <command> --help` shows examples.',
      ),
    )
    .version(packageVersion(), '-V, --version')
    .addOption(new Option('--json', 'print one JSON object as the result (progress as JSON lines on stderr)'))
    .addOption(new Option('-q, --quiet', 'print only the result and errors'))
    .addOption(
      new Option('--seed <n>', 'seed for every random choice (recorded in the manifest)')
        .argParser(parseInteger('--seed', 0, 2 ** 32 - 1))
        .default(42),
    )
    .addOption(new Option('--no-color', 'no colour in terminal output'))
    // Bounds on hostile or broken inputs (README "Limits"); raise one when a genuine file hits it.
    .addOption(
      new Option('--max-line-bytes <n>', 'longest accepted CSV line')
        .argParser(parseInteger('--max-line-bytes', 1024))
        .default(DEFAULT_LIMITS.maxLineBytes),
    )
    .addOption(
      new Option('--max-zip-bytes <n>', 'largest accepted uncompressed zip member')
        .argParser(parseInteger('--max-zip-bytes', 1))
        .default(DEFAULT_LIMITS.maxZipBytes),
    )
    .addOption(
      new Option('--max-zip-ratio <n>', 'largest accepted zip expansion ratio')
        .argParser(parseInteger('--max-zip-ratio', 1))
        .default(DEFAULT_LIMITS.maxZipRatio),
    )
    .addOption(
      new Option('--max-model-bytes <n>', 'largest accepted local model (weights)')
        .argParser(parseInteger('--max-model-bytes', 1))
        .default(DEFAULT_LIMITS.maxModelBytes),
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp(helpConfiguration)
    .configureOutput({
      getOutHelpWidth: () => helpWidth(process.stdout),
      getErrHelpWidth: () => helpWidth(process.stderr),
    })
    // Required options are checked here, after commander has reported unknown options.
    .hook('preAction', (_program, action) => checkRequiredOptions(action));
  registerCommands(program);
  program.hook('preAction', (_program, action) => {
    const o = action.optsWithGlobals() as {
      maxLineBytes?: number;
      maxZipBytes?: number;
      maxZipRatio?: number;
      maxModelBytes?: number;
    };
    setLimits({
      maxLineBytes: o.maxLineBytes,
      maxZipBytes: o.maxZipBytes,
      maxZipRatio: o.maxZipRatio,
      maxModelBytes: o.maxModelBytes,
    });
  });
  return program;
}
