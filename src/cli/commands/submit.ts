/**
 * `digitflow submit <run|file>`: validate, upload with the official Kaggle CLI, record it in the run; `--wait` for the
 * score.
 */
import type { Command } from 'commander';
import { homedir } from 'node:os';
import { createContext } from '../context.js';
import { addExamples, paragraphs } from '../grammar.js';
import { parseFloatIn, parseInteger } from '../options.js';
import type { SubmitResult } from '../../stages/submit.js';
import type { SubmissionsResult } from '../../stages/submissions.js';
import { DEFAULT_COMPETITION } from '../../domain/submission.js';
import { renderSubmissionsText } from './submissions.js';
import { safeText } from '../safe-text.js';

export function renderSubmitText(r: SubmitResult & { score?: SubmissionsResult }): string {
  if (!r.submitted) {
    const found = [
      r.kagglePath ? `kaggle at ${r.kagglePath}` : 'no kaggle on PATH',
      r.credentials ? `credentials from ${r.credentials}` : 'no Kaggle credentials',
    ];
    return (
      `${safeText(r.file)} is valid (${r.rows} rows) and was not submitted: ` +
      `dry run (${found.join(', ')}).\nThe command:\n  ${safeText(r.commandLine)}`
    );
  }
  const lines = [
    `submitted ${safeText(r.file)} (${r.rows} rows) to ${safeText(r.competition)}`,
    safeText((r.kaggleOutput ?? '').replace(/\r\n?/g, '\n').trim(), true),
  ];
  if (r.runDir)
    lines.push(
      `recorded in ${safeText(r.runDir)}/manifest.json (kaggle.submissions); read the score with: ` +
        `digitflow submissions ${safeText(r.runDir)}`,
    );
  if (r.score) lines.push(renderSubmissionsText(r.score));
  return lines.filter(Boolean).join('\n');
}

interface SubmitFlags {
  competition: string;
  message?: string;
  rows?: number;
  test?: string;
  dryRun?: boolean;
  wait?: boolean;
  pollSeconds: number;
  timeout: number;
}

export function registerSubmit(program: Command): void {
  const command = program
    .command('submit')
    .summary('validate, submit to Kaggle, record it in the run')
    .description(
      paragraphs(
        'Validate a submission, then upload it with the official Kaggle CLI ' +
          '(`kaggle competitions submit -c ... -f ... -m ...`). Given a run folder, ' +
          'its submission.csv is sent and the submission (file sha256, message, time, competition) ' +
          "is recorded in the run's manifest under kaggle.submissions; " +
          'a CSV inside a run folder is recorded there too.',
        'Expected rows (the same rule as validate-submission): --rows, else the data rows of --test, ' +
          "else the run's test file, else the competition's (28,000 for digit-recognizer).",
        'Credentials are found where the Kaggle CLI looks: KAGGLE_USERNAME/KAGGLE_KEY, ' +
          '$KAGGLE_CONFIG_DIR/kaggle.json, ~/.kaggle/kaggle.json, ~/.config/kaggle/kaggle.json. ' +
          'Nothing submitted (no `kaggle`, no credentials) exits 3 and prints the command to run yourself. ' +
          'An invalid file is never sent (exit 2, every problem with its line).',
        'With --wait, polls `kaggle competitions submissions -c <slug> --csv` until the submission is ' +
          'scored and stores its public score in the manifest (read by `digitflow runs`).',
      ),
    )
    .argument('<run|file>', 'run folder (its submission.csv) or submission CSV (ImageId,Label)')
    .option('-c, --competition <slug>', 'Kaggle competition', DEFAULT_COMPETITION)
    .option(
      '-m, --message <text>',
      'submission message (default: "digitflow <run-id> sha256:<hash>", unique so the score can be found)',
    )
    .option(
      '--rows <n>',
      'expected data rows (default: from --test / the run, else 28000 for digit-recognizer)',
      parseInteger('--rows', 1),
    )
    .option('--test <file>', 'test CSV whose data rows give the expected count')
    .option('--dry-run', 'validate and print the command without running it')
    .option('--wait', 'wait until Kaggle has scored the submission and record the public score')
    .option(
      '--poll-seconds <s>',
      'seconds between score checks with --wait',
      parseFloatIn('--poll-seconds', 0, 3600),
      10,
    )
    .option('--timeout <s>', 'give up waiting after this many seconds', parseFloatIn('--timeout', 0, 86400), 1800);
  addExamples(command, [
    ['digitflow submit runs/<id> --wait', "send the run's submission.csv, wait for the public score"],
    ['digitflow submit runs/<id>/submission.csv -m "linear baseline"'],
    ['digitflow submit submission.csv --test data/test.csv --dry-run'],
  ]);
  command.action(async (file: string, opts: SubmitFlags, cmd: Command) => {
    const ctx = createContext(cmd);
    const { submitStage } = await import('../../stages/submit.js'); // loaded on use: keeps CLI start-up short
    const env = { ...process.env };
    const result: SubmitResult & { score?: SubmissionsResult } = await submitStage(
      {
        file,
        competition: opts.competition,
        message: opts.message,
        rows: opts.rows,
        test: opts.test,
        dryRun: opts.dryRun,
        env,
        home: homedir(),
      },
      ctx.deps,
    );
    if (opts.wait && result.submitted && result.record) {
      const { submissionsStage } = await import('../../stages/submissions.js');
      result.score = await submissionsStage(
        {
          runDir: result.runDir,
          records: result.runDir ? undefined : [result.record],
          competition: result.competition,
          env,
          home: homedir(),
          wait: true,
          pollSeconds: opts.pollSeconds,
          timeoutSeconds: opts.timeout,
        },
        ctx.deps,
      );
    }
    ctx.output(result, renderSubmitText);
  });
}
