/** `digitflow inspect FILE`: data insights and every problem with its line number. */
import { type Command } from 'commander';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import { parseInteger } from '../options.js';
import type { InspectOutput } from '../../stages/inspect.js';

import { fmtNumber } from '../reporters.js';

export function renderInspectText(r: InspectOutput): string {
  const out: string[] = [];
  for (const f of r.files) {
    out.push(`${f.file}  (${(f.bytes / 1e6).toFixed(1)} MB${f.compression !== 'none' ? `, ${f.compression}` : ''})`);
    out.push(
      `  layout      ${f.layout ?? 'unknown'}${f.hasHeader === false ? ' (no header: Linear Learner style)' : ''}`,
    );
    out.push(`  rows        ${f.rows}`);
    if (f.columns) out.push(`  columns     ${f.columns}`);
    if (f.pixelMin !== undefined) {
      out.push(
        `  pixels      min ${f.pixelMin}  max ${f.pixelMax}  mean ${fmtNumber(f.pixelMean!)}  zero ` +
          `${(100 * f.zeroFraction!).toFixed(1)}%`,
      );
    }
    if (f.labelCounts) {
      const total = f.labelCounts.reduce((a, b) => a + b, 0) || 1;
      out.push('  labels      ' + f.labelCounts.map((c, i) => `${i}:${c}`).join(' '));
      const maxShare = Math.max(...f.labelCounts) / total;
      out.push(
        `              most frequent class ${(100 * maxShare).toFixed(1)}% (the accuracy of always guessing it)`,
      );
    }
    out.push(`  blank images ${f.blankImages}   duplicate images ${f.duplicateImages}`);
    if (f.problemCount === 0) out.push('  problems    none');
    else {
      const kinds = Object.entries(f.problemsByKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      out.push(`  problems    ${f.problemCount} (${kinds})`);
      for (const p of f.problems) out.push(`    ${f.file}:${p.line}: ${p.message}`);
      if (f.problemCount > f.problems.length)
        out.push(`    ... and ${f.problemCount - f.problems.length} more (raise --max-problems)`);
    }
  }
  return out.join('\n');
}

export function registerInspect(program: Command): void {
  const command = program
    .command('inspect')
    .summary('check a Kaggle CSV; every problem with its line')
    .description(
      paragraphs(
        'Check a Kaggle CSV (.csv, .csv.gz or the competition zip, each CSV inside): layout, rows, columns, ' +
          'pixel range, label counts, the most-frequent-class share, blank and duplicate images, ' +
          'and every problem with its line number.',
        'Exits 2 when there is any problem, so a script can gate a cloud job on a clean inspect.',
      ),
    )
    .argument('<file>', 'train.csv, test.csv, .csv.gz or digit-recognizer.zip')
    .option('--num-classes <n>', 'labels are 0..n-1', parseInteger('--num-classes', 2, 256), 10)
    .option('--max-problems <n>', 'problems listed in full (all are counted)', parseInteger('--max-problems', 0), 50)
    .option(
      '--html',
      'also write a self-contained page: label histogram, mean image and samples per class, ' +
        'blank/duplicate images, pixel histogram',
    )
    .addOption(
      outOption(
        'file',
        'with --html: where the page goes (default <name>.inspect.html in the current folder); ' +
          'otherwise the findings as JSON (what --json prints)',
      ),
    )
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow inspect data/train.csv'],
    ['digitflow inspect ~/Downloads/digit-recognizer.zip --max-problems 10'],
    ['digitflow inspect data/test.csv -o inspect.json'],
    ['digitflow inspect data/train.csv --html', 'label histogram, mean digit per class, samples, duplicates'],
  ]);
  command.action(
    async (
      file: string,
      opts: { numClasses: number; maxProblems: number; html?: boolean; out?: string; force?: boolean },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      if (opts.html) {
        const { inspectHtmlStage, defaultInspectHtmlPath } = await import('../../stages/inspect-html.js');
        const r = await inspectHtmlStage(
          {
            path: file,
            numClasses: opts.numClasses,
            maxProblems: opts.maxProblems,
            output: opts.out ?? defaultInspectHtmlPath(file),
            force: opts.force,
          },
          ctx.deps,
        );
        ctx.output(r, (x) => `${renderInspectText(x)}\npage: ${x.html} (${(x.bytes / 1e3).toFixed(0)} kB)`);
        if (!r.ok) process.exitCode = 2;
        return;
      }
      const { inspectStage } = await import('../../stages/inspect.js'); // loaded on use: keeps CLI start-up short
      const result = await inspectStage(
        { path: file, numClasses: opts.numClasses, maxProblems: opts.maxProblems },
        ctx.deps,
      );
      await saveResult(opts.out, result, opts.force);
      ctx.output(result, renderInspectText);
      // Problems found: non-zero exit so scripts can gate a cloud job on a clean inspect.
      if (!result.ok) process.exitCode = 2;
    },
  );
}
