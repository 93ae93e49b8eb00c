/**
 * The command-line grammar through the built binary (README "Command-line grammar"): the
 * top-level list, every command's help (examples, defaults, required options, paragraphs that
 * wrap to the terminal), unknown options reported before missing required ones, the old
 * spellings still working, and `run` taking every local training flag of `train`.
 */
import { describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { binPath, runCli } from '../helpers/cli.js';

const help = async (args: string[], columns = 80): Promise<string> => {
  const r = await runCli([...args, '--help'], { env: { COLUMNS: String(columns) } });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

/** Command names as the top-level help lists them. */
async function commandNames(): Promise<string[]> {
  const top = await help([]);
  const section = top.slice(top.indexOf('Commands:') + 'Commands:'.length);
  return section
    .split('\n')
    .filter((l) => /^ {2}\S/.test(l))
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n !== 'help');
}

/** Long option names listed in a command's own "Options:" section. */
function optionNames(text: string): string[] {
  const own = text.slice(text.indexOf('Options:'), text.indexOf('Global Options:'));
  return [...own.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);
}

describe('help follows one grammar', () => {
  it('lists every command on one line at 80 columns', async () => {
    const top = await help([], 80);
    const section = top
      .slice(top.indexOf('Commands:') + 'Commands:'.length)
      .split('\n')
      .filter((l) => l.trim() !== '');
    const names = await commandNames();
    expect(names.length).toBeGreaterThanOrEqual(15);
    // One line per command: no continuation lines (they start with more than two spaces).
    for (const line of section) expect(line, `continuation line in the command list: "${line}"`).toMatch(/^ {2}\S/);
    for (const line of top.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    // The object a command acts on is positional and named with the shared placeholders.
    expect(top).toMatch(/^ {2}predict <run> /m);
    expect(top).toMatch(/^ {2}argmax <run\|file> /m);
    expect(top).toMatch(/^ {2}evaluate <run\|file> /m);
    expect(top).toMatch(/^ {2}compare <run\.\.\.> /m);
    expect(section.join('\n')).not.toMatch(/runDir|run-dir|\[options\]/);
  });

  it('every command: examples last, -o/--out for results, paragraphs never broken mid-sentence', async () => {
    for (const name of await commandNames()) {
      const text = await help([name], 1000);
      expect(text, `${name} --help has no examples`).toMatch(
        new RegExp(`Examples:\\n( {2}(# .*|\\$ digitflow ${name}\\b.*)\\n?)+$`),
      );
      if (name !== 'submit') expect(text, `${name} has no -o, --out`).toMatch(/^ {2}-o, --out <(file|dir|run)>/m);
      // At 1000 columns each description paragraph is one line, ending a sentence.
      const description = text.slice(text.indexOf('\n\n') + 2, text.search(/\n\n(Arguments|Options):/));
      for (const p of description.split('\n\n')) {
        expect(p.includes('\n'), `${name}: a paragraph broken by hand: "${p}"`).toBe(false);
        expect(p, `${name}: paragraph does not end a sentence`).toMatch(/[.)]$/);
      }
      // Old spellings stay hidden.
      expect(text).not.toMatch(/--output\b|--output-dir|--run <|--submission|runDir|run-dir/);
    }
  }, 240_000); // one CLI start per command: minutes on a loaded 2-core machine

  it('wraps at the terminal width between words', async () => {
    // (commander stops wrapping option descriptions when fewer than 40 columns would be left for them)
    const narrow = await help(['train'], 72);
    for (const line of narrow.split('\n'))
      if (!line.includes('$ digitflow')) expect(line.length, line).toBeLessThanOrEqual(72);
    expect(narrow).not.toMatch(/\w-\n\s*\w/); // no word cut at a hyphen by hand
  });

  it('shows every default and marks required options', async () => {
    const train = await help(['train'], 200);
    for (const [flag, shown] of [
      ['--epochs', 'linear 10, cnn 25'],
      ['--batch-size', 'linear 128, cnn 64'],
      ['--learning-rate', 'linear 0.01, cnn 0.002'],
      ['--lr-decay', 'linear 1, cnn 0'],
      ['--lr-schedule <shape>', 'linear decay, cnn cosine'],
      ['--augment-shift', 'linear 0, cnn 2'],
      ['--augment-rotate', 'linear 0, cnn 10'],
      ['--augment-zoom', 'linear 0, cnn 0.1'],
      ['--dropout', 'linear 0, cnn 0'],
      ['--tta-shift', 'linear 0, cnn 1'],
      ['--l2', 'linear 0.00001, cnn 0.0001'],
      ['--validation-fraction', '0.1'],
      ['--patience', 'linear 3, cnn 0'],
      ['--workers', 'min(2, CPUs)'],
      ['-o, --out', 'runs/<new run id>'],
    ]) {
      expect(train, flag).toMatch(
        new RegExp(`${flag.replace(/[()]/g, '\\$&')} .*\\(.*default: ${shown.replace(/[()]/g, '\\$&')}`),
      );
    }
    expect(await help(['upload'], 200)).toMatch(/--bucket <name> .*\(required\)/);
    expect(await help(['predict'], 200)).toMatch(/-o, --out <file> .*default: <run>\/probabilities\.csv/);
  });

  it('run takes every local training flag of train', async () => {
    const train = optionNames(await help(['train'], 200));
    const run = optionNames(await help(['run'], 200));
    for (const f of ['--patience', '--l2', '--workers', '--lr-decay', '--augment-shift']) expect(train).toContain(f);
    expect(train.filter((f) => !run.includes(f))).toEqual([]);
  });
});

describe('unknown options are reported first (defect 3)', () => {
  for (const args of [
    ['predict', '--rn', 'X'],
    ['evaluate', '--submision', 'x.csv'],
    ['upload', '--bukcet', 'b'],
    ['train', '--epochz', '3'],
  ]) {
    it(args.join(' '), async () => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`unknown option '${args[1]}'`);
      expect(r.stderr).not.toMatch(/required option|missing required argument/);
    });
  }

  it('suggests the flag meant, old spellings included', async () => {
    expect((await runCli(['upload', '--bukcet', 'b'])).stderr).toMatch(/Did you mean --bucket\?/);
    expect((await runCli(['predict', '--rn', 'X'])).stderr).toMatch(/Did you mean --run\?/);
  });

  it('a missing required option or positional is still reported, exit 2', async () => {
    const u = await runCli(['upload', '--train', 'x.csv']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/required option '--bucket <name>' not specified/);
    const p = await runCli(['predict']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/missing required argument 'run'/);
  });
});

describe('the built binary', () => {
  it('is executable after the build', async () => {
    const mode = (await stat(binPath)).mode;
    expect(mode & 0o111, `dist/cli/main.js mode ${mode.toString(8)}`).toBe(0o111);
  });
});
