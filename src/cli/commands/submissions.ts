/** `digitflow submissions [<run>]`: Kaggle's scores for a run's submissions (or the competition's list). */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import { parseFloatIn } from '../options.js';
import { safeText as clean } from '../safe-text.js';
import type { SubmissionsResult } from '../../stages/submissions.js';

export function renderSubmissionsText(r: SubmissionsResult): string {
  const lines: string[] = [];
  if (r.runDir || r.tracked.length) {
    if (!r.tracked.length)
      lines.push(
        `${r.runDir ?? 'this run'} has no recorded Kaggle submissions (make one with: ` +
          `digitflow submit ${r.runDir ?? '<run>'})`,
      );
    for (const t of r.tracked) {
      const score =
        t.publicScore !== undefined
          ? `public score ${t.publicScore}`
          : t.status === 'error'
            ? 'not scored (error)'
            : 'not scored yet';
      lines.push(
        `${t.status.padEnd(8)} ${score.padEnd(22)} ${clean(t.file)}  ${clean(JSON.stringify(t.message))}  ` +
          `sent ${t.submittedAt}`,
      );
    }
    return lines.join('\n');
  }
  if (!r.listing.length) return `no submissions to ${r.competition} yet`;
  lines.push(`${'status'.padEnd(8)} ${'public'.padEnd(8)} ${'date'.padEnd(19)}  file  description`);
  for (const row of r.listing) {
    lines.push(
      `${row.status.padEnd(8)} ${String(row.publicScore ?? '—').padEnd(8)} ${clean(row.date).padEnd(19)}  ` +
        `${clean(row.fileName)}  ${clean(row.description)}`,
    );
  }
  return lines.join('\n');
}

export function registerSubmissions(program: Command): void {
  const command = program
    .command('submissions')
    .summary("Kaggle's public score of a run's submissions")
    .description(
      paragraphs(
        'Reads `kaggle competitions submissions -c <slug> --csv` (the official Kaggle CLI) ' +
          'and matches each row to the submissions the run recorded (same message and file name). ' +
          "Status and public score are stored in the run's manifest (kaggle.submissions[].publicScore), " +
          'where `digitflow runs` and `compare` read them.',
        "Without a run: lists the competition's submissions. With --wait: " +
          'polls until every recorded submission is complete (exit 0) or errored (exit 3).',
      ),
    )
    .argument('[run]', 'run folder whose recorded submissions to check')
    .option('-c, --competition <slug>', "Kaggle competition (default: the run's submissions', else digit-recognizer)")
    .option('--wait', 'poll until every recorded submission is scored')
    .option('--poll-seconds <s>', 'seconds between checks with --wait', parseFloatIn('--poll-seconds', 0, 3600), 10)
    .option('--timeout <s>', 'give up waiting after this many seconds', parseFloatIn('--timeout', 0, 86400), 1800)
    .addOption(outOption('file', 'also save the result as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow submissions runs/<id>', "status and public score of the run's submissions"],
    ['digitflow submissions runs/<id> --wait'],
    ['digitflow submissions', "the competition's submissions"],
  ]);
  command.action(
    async (
      run: string | undefined,
      opts: {
        competition?: string;
        wait?: boolean;
        pollSeconds: number;
        timeout: number;
        out?: string;
        force?: boolean;
      },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      const { submissionsStage } = await import('../../stages/submissions.js'); // loaded on use
      const result = await submissionsStage(
        {
          runDir: run,
          competition: opts.competition,
          env: { ...process.env },
          home: homedir(),
          wait: opts.wait,
          pollSeconds: opts.pollSeconds,
          timeoutSeconds: opts.timeout,
        },
        ctx.deps,
      );
      await saveResult(opts.out, result, opts.force);
      ctx.output(result, renderSubmissionsText);
    },
  );
}
