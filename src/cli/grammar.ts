/**
 * The command-line grammar, in one place (README "Command-line grammar"):
 *   1. the object a command acts on is positional (a file, a run folder, a job);
 *   2. where results go is `-o, --out <path>` on every command; given a run folder, a command
 *      reads from it and writes into it by default;
 *   3. other inputs are named options (`--train <file>`, `--labels <file>`, ...);
 *   4. placeholders `<file> <run> <dir> <n> <uri> <job>`; every default shown; examples last.
 * Old spellings (`--run`, `--output`, `--output-dir`, `--submission`) stay as hidden aliases.
 * These helpers build options and help that follow it; commands only call them.
 */
import { type Command, type Help, Option } from 'commander';

const REQUIRED = new WeakSet<Option>();

/**
 * Adds an option the command cannot run without. Unlike commander's requiredOption, the check runs
 * after unknown options are reported (`predict --rn X` says "unknown option '--rn'", not "required
 * option missing"), and help marks it "(required)".
 */
export function addRequiredOption(cmd: Command, option: Option): Command {
  REQUIRED.add(option);
  return cmd.addOption(option);
}

/** Fails with commander's usage error (exit 2) when a required option is missing. Runs as a preAction hook. */
export function checkRequiredOptions(cmd: Command): void {
  for (const o of cmd.options) {
    if (REQUIRED.has(o) && cmd.getOptionValue(o.attributeName()) === undefined) {
      cmd.error(`error: required option '${o.flags}' not specified`, {
        exitCode: 2,
        code: 'commander.missingMandatoryOptionValue',
      });
    }
  }
}

/**
 * An old spelling that keeps working but is not shown in help. With `target`, its value is stored
 * under that option's name too (e.g. `--output-dir` → `out`), so the action reads one name.
 */
export function addHiddenAlias(cmd: Command, flags: string, target?: string): Command {
  const option = new Option(flags, `old spelling${target ? ` of --${target}` : ''}`).hideHelp();
  cmd.addOption(option);
  suggestHiddenToo(cmd, option);
  if (target) cmd.on(`option:${option.name()}`, (value: unknown) => cmd.setOptionValueWithSource(target, value, 'cli'));
  return cmd;
}

const ALIASES = new WeakMap<Command, Option[]>();

/** "unknown option '--rn' (Did you mean --run?)": commander suggests visible options only; old spellings count too. */
function suggestHiddenToo(cmd: Command, option: Option): void {
  const list = ALIASES.get(cmd);
  if (list) {
    list.push(option);
    return;
  }
  ALIASES.set(cmd, [option]);
  const target = cmd as unknown as { unknownOption(flag: string): void };
  const original = target.unknownOption.bind(cmd);
  target.unknownOption = (flag: string) => {
    const hidden = ALIASES.get(cmd)!;
    for (const o of hidden) o.hidden = false;
    try {
      original(flag);
    } finally {
      for (const o of hidden) o.hidden = true;
    }
  };
}

/** `-o, --out <placeholder>`: where results go. `shownDefault` is what help shows as the default. */
export function outOption(placeholder: string, description: string, shownDefault?: string): Option {
  const o = new Option(`-o, --out <${placeholder}>`, description);
  if (shownDefault !== undefined) o.defaultValueDescription = shownDefault;
  return o;
}

/** An option whose default depends on other flags (e.g. the model): shown in help, not applied by commander. */
export function withShownDefault(option: Option, shown: string): Option {
  option.defaultValueDescription = shown;
  return option;
}

/**
 * The positional a command acts on, accepted also through its old option spelling (`--run`): the
 * positional is declared optional so the alias can stand in, and `positionalOr` insists on one of them.
 */
export function positionalOr(
  cmd: Command,
  positional: string | undefined,
  alias: string | undefined,
  name: string,
): string {
  const v = positional ?? alias;
  if (v === undefined || v === '')
    cmd.error(`error: missing required argument '${name}'`, { exitCode: 2, code: 'commander.missingArgument' });
  return v!;
}

/** Appends "Examples:" to a command's help: `[command line, comment?]` pairs. */
export function addExamples(cmd: Command, examples: [string, string?][]): Command {
  const lines = examples.flatMap(([c, why]) => (why ? [`  # ${why}`, `  $ ${c}`] : [`  $ ${c}`]));
  return cmd.addHelpText('after', `\nExamples:\n${lines.join('\n')}`);
}

/** Help paragraphs: one string per paragraph, never broken by hand (commander wraps to the terminal). */
export function paragraphs(...ps: string[]): string {
  return ps.join('\n\n');
}

/** Help width: the terminal's; when not a terminal, COLUMNS if set, else 80. */
export function helpWidth(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const n = Number(env.COLUMNS);
  return Number.isInteger(n) && n >= 40 ? n : 80;
}

/** How a subcommand appears in the top-level list: `predict <run>` (no "[options]"), one line with its summary. */
function subcommandTerm(cmd: Command): string {
  const usage = cmd
    .usage()
    .replace(/\s*\[options\]\s*/g, ' ')
    .trim();
  return usage ? `${cmd.name()} ${usage}` : cmd.name();
}

/** Option help: description, then (choices, default, required). Defaults that depend on other flags are shown too. */
function optionDescription(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
  if (option.defaultValueDescription !== undefined) extra.push(`default: ${option.defaultValueDescription}`);
  else if (option.defaultValue !== undefined && (option.required || option.optional))
    extra.push(`default: ${String(option.defaultValue)}`);
  if (REQUIRED.has(option)) extra.push('required');
  return extra.length ? `${option.description} (${extra.join('; ')})` : option.description;
}

/** The help settings every command inherits (set on the program before commands are added). */
export const helpConfiguration: Partial<Help> = {
  sortSubcommands: false,
  showGlobalOptions: true,
  // Long option names (--transform-instance-type <type>) leave a narrow description column on a 72-80 column
  // terminal; commander would stop wrapping below 40 columns and print over-long lines.
  minWidthToWrap: 24,
  subcommandTerm,
  subcommandDescription: (cmd: Command) => cmd.summary() || cmd.description().split('\n')[0],
  optionDescription,
};
