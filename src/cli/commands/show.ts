/** `digitflow show <file>`: draw digits in the terminal (half blocks on a TTY, ASCII otherwise) with their labels. */
import { type Command, Option } from 'commander';
import { UserInputError } from '../../errors/index.js';
import { safeText as clean } from '../safe-text.js';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import { parseInteger } from '../options.js';
import { digitArt, layoutPanels, parseIdList, parseRowRange, type ArtStyle } from '../../domain/digit-art.js';
import type { ShowResult, ShowSelection } from '../../stages/show.js';

export function renderShowText(r: ShowResult, style: ArtStyle, width: number): string {
  const panels = r.digits.map((d) => ({
    lines: digitArt(d.pixels, style),
    caption: r.layout === 'train' ? `#${d.row}  label ${d.label}` : `ImageId ${d.row}`,
  }));
  const out = [`${clean(r.file)} (${r.layout} layout): ${r.digits.length} digit(s)`, '', layoutPanels(panels, width)];
  if (r.missing.length) out.push('', `not in the file (it has ${r.rowsRead} data rows): ${r.missing.join(', ')}`);
  return out.join('\n');
}

function selection(opts: { rows?: string; label?: number; ids?: string; limit: number }): ShowSelection {
  const given = [opts.rows, opts.label, opts.ids].filter((v) => v !== undefined).length;
  if (given > 1)
    throw new UserInputError('USAGE', 'give one of --rows, --label, --ids', {
      hint: 'e.g. --rows 1-20, --label 7 or --ids 12,40',
    });
  if (opts.ids !== undefined) {
    const ids = parseIdList(opts.ids);
    if (!ids)
      throw new UserInputError('USAGE', `--ids must be whole numbers >= 1 separated by commas, got '${opts.ids}'`);
    return { kind: 'ids', ids };
  }
  if (opts.label !== undefined) return { kind: 'label', label: opts.label, limit: opts.limit };
  const range = parseRowRange(opts.rows ?? `1-${opts.limit}`);
  if (!range)
    throw new UserInputError('USAGE', `--rows must be a row or a range like 1-20 (1-based), got '${opts.rows}'`);
  return { kind: 'rows', ...range };
}

export function registerShow(program: Command): void {
  const command = program
    .command('show')
    .summary('draw digits in the terminal with their labels')
    .description(
      paragraphs(
        'Draws digits from a Kaggle CSV (train or test layout; .csv, .csv.gz or the competition zip) ' +
          'as text: Unicode half blocks on a terminal, plain ASCII when piped (or --style). ' +
          'Each digit is 28 columns by 14 lines, captioned with its row and label (train) ' +
          'or its ImageId (test).',
        'Pick digits with one of --rows 1-20 (1-based data rows), ' +
          '--label 7 (the first --limit digits of that class, train only) or --ids 12,40 (ImageIds, i.e. ' +
          '1-based rows). Only as much of the file is read as needed.',
      ),
    )
    .argument('<file>', 'train.csv / test.csv / .csv.gz / digit-recognizer.zip')
    .option('--rows <range>', '1-based data rows, e.g. 1-20 (default 1-<limit>)')
    .option(
      '--label <digit>',
      'the first --limit digits with this label (train files)',
      parseInteger('--label', 0, 255),
    )
    .option('--ids <list>', 'ImageIds (1-based rows), e.g. 12,40')
    .option('--limit <n>', 'how many digits for --label, or the default row range', parseInteger('--limit', 1, 500), 10)
    .option('--member <name>', 'zip member to read (default train.csv)')
    .addOption(
      new Option('--style <style>', 'blocks (Unicode half blocks), ascii, or auto (blocks on a terminal)')
        .choices(['auto', 'blocks', 'ascii'])
        .default('auto'),
    )
    .option('--width <n>', 'columns to fill (default: the terminal width, else 80)', parseInteger('--width', 28, 10000))
    .addOption(outOption('file', 'also save the digits (pixels and labels) as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow show data/train.csv --rows 1-20'],
    ['digitflow show data/train.csv --label 7 --limit 12'],
    ['digitflow show data/test.csv --ids 12,40'],
    ['digitflow show digit-recognizer.zip --member test.csv --rows 1-5 --style ascii'],
  ]);
  command.action(
    async (
      file: string,
      opts: {
        rows?: string;
        label?: number;
        ids?: string;
        limit: number;
        member?: string;
        style: string;
        width?: number;
        out?: string;
        force?: boolean;
      },
      cmd: Command,
    ) => {
      const select = selection(opts);
      const ctx = createContext(cmd);
      const { showStage } = await import('../../stages/show.js'); // loaded on use: keeps CLI start-up short
      const result = await showStage({ path: file, select, member: opts.member }, ctx.deps);
      await saveResult(opts.out, result, opts.force);
      const style: ArtStyle =
        opts.style === 'auto' ? (process.stdout.isTTY ? 'blocks' : 'ascii') : (opts.style as ArtStyle);
      const width = opts.width ?? (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
      ctx.output(result, (r) => renderShowText(r, style, width));
    },
  );
}
