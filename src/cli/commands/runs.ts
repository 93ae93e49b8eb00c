/** `digitflow runs`: the leaderboard of run folders. */
import { type Command, Option } from 'commander';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption } from '../grammar.js';
import type { RunsEntry, RunsResult } from '../../stages/runs.js';

import { safeText as safe } from '../safe-text.js';

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(2)}%`);

function cells(e: RunsEntry, rank: number, letters: { val: boolean; test: boolean }): string[] {
  const hp = safe(e.hyperparameters.join(' '));
  return [
    String(rank),
    safe(e.runId),
    safe(e.engine),
    safe(e.model ?? '—'),
    hp.length > 56 ? hp.slice(0, 55) + '…' : hp || '—',
    pct(e.validationAccuracy) + (letters.val && e.validationGroup ? ` ${e.validationGroup}` : ''),
    pct(e.testAccuracy) + (letters.test && e.testGroup ? ` ${e.testGroup}` : ''),
    e.kagglePublicScore === undefined ? '—' : e.kagglePublicScore.toFixed(5),
    e.trainSeconds === undefined ? '—' : e.trainSeconds.toFixed(1),
    e.costUsd === undefined ? '—' : `$${e.costUsd < 1 ? e.costUsd.toFixed(4) : e.costUsd.toFixed(2)}`,
    e.flags.length ? '! ' + e.flags.join('; ') : '',
  ];
}

export function renderRunsText(r: RunsResult): string {
  if (r.runs.length === 0) {
    const lines = [`no runs in ${safe(r.dir)} yet: make one with \`digitflow run\``];
    for (const s of r.skipped) lines.push(`skipped ${safe(s.dir)}: ${safe(s.reason)}`);
    return lines.join('\n');
  }
  const header = [
    '#',
    'run',
    'engine',
    'model',
    'hyperparameters',
    'val acc',
    'test acc',
    'kaggle',
    'train s',
    'cost',
    '',
  ];
  // Letters only when the runs were scored on more than one split / test file.
  const letters = {
    val: new Set(r.runs.map((e) => e.validationGroup).filter(Boolean)).size > 1,
    test: new Set(r.runs.map((e) => e.testGroup).filter(Boolean)).size > 1,
  };
  const rows = r.runs.map((e, i) => cells(e, i + 1, letters));
  const right = new Set([0, 5, 6, 7, 8, 9]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row
      .map((v, c) => (c === row.length - 1 ? v : right.has(c) ? v.padStart(widths[c]) : v.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  lines.push(
    '',
    `${r.runs.length} run(s) in ${safe(r.dir)}, sorted by ${r.sort}` +
      (letters.val || letters.test
        ? '; letters after an accuracy name the held-out split / test file it was measured on'
        : ''),
  );
  for (const n of r.notes) lines.push(`! ${n}`);
  for (const s of r.skipped) lines.push(`skipped ${safe(s.dir)}: ${safe(s.reason)}`);
  return lines.join('\n');
}

export function registerRuns(program: Command): void {
  const command = program
    .command('runs')
    .summary('leaderboard of the run folders')
    .description(
      [
        'List every run folder under --dir (default runs/) as a leaderboard: id, engine (local, sagemaker, ' +
          'blend), model, key hyperparameters, validation and test accuracy, ' +
          'the Kaggle public score when a submission was scored, train seconds and billed cost.',
        'Runs scored on different held-out rows or a different test file are flagged: ' +
          'each accuracy carries a letter for the split / test file it was measured on (A = the most common), ' +
          'and numbers with different letters are not comparable.',
        'Folders whose manifest cannot be read are listed as skipped, never fatal.',
      ].join('\n\n'),
    )
    .addOption(
      new Option(
        '--sort <key>',
        'order: validation accuracy, test accuracy, Kaggle public score (best first), ' +
          'billed cost (cheapest first), or newest first',
      )
        .choices(['val-acc', 'test-acc', 'kaggle', 'cost', 'created'])
        .default('val-acc'),
    )
    .option('--dir <dir>', 'the folder holding the run folders', 'runs')
    .addOption(outOption('file', 'also save the leaderboard as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow runs'],
    ['digitflow runs --sort test-acc'],
    ['digitflow runs --dir runs/tune-1', 'the trials of a tune'],
    ['digitflow runs --sort cost --json'],
  ]);
  command.action(
    async (
      opts: {
        sort: 'val-acc' | 'test-acc' | 'kaggle' | 'cost' | 'created';
        dir: string;
        out?: string;
        force?: boolean;
      },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      const { runsStage } = await import('../../stages/runs.js'); // loaded on use: keeps CLI start-up short
      const result = await runsStage({ dir: opts.dir, sort: opts.sort }, ctx.deps);
      await saveResult(opts.out, result, opts.force);
      ctx.output(result, renderRunsText);
    },
  );
}
