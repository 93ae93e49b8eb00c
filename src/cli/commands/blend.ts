/** `digitflow blend`: a new run from the probabilities of several runs. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import { addExamples, outOption } from '../grammar.js';
import type { BlendResult } from '../../stages/blend.js';
import { safeText } from '../safe-text.js';

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

export function renderBlendText(r: BlendResult): string {
  return safeText(blendText(r), true);
}

function blendText(r: BlendResult): string {
  const lines = [
    `blend ${r.runId}: ${r.method} of ${r.members.length} runs, ` +
      `weights ${r.weightsFrom === 'auto' ? 'fitted on the validation rows' : r.weightsFrom}`,
  ];
  for (const c of r.checks) lines.push(`  ✓ ${c}`);
  lines.push('');
  const w = Math.max(...r.members.map((m) => m.runId.length), 5) + 2;
  lines.push(`  ${'run'.padEnd(w)}${'weight'.padStart(8)}${'val acc'.padStart(10)}${'test acc'.padStart(10)}  format`);
  for (const m of r.members)
    lines.push(
      `  ${m.runId.padEnd(w)}${m.weight.toFixed(3).padStart(8)}` +
        `${pct(m.validationAccuracy).padStart(10)}${pct(m.testAccuracy).padStart(10)}  ${m.format}`,
    );
  lines.push(
    `  ${'= blend'.padEnd(w)}${''.padStart(8)}${pct(r.validationAccuracy).padStart(10)}${pct(r.accuracy).padStart(10)}`,
  );
  if (r.bestMember) {
    const blendAcc = r.bestMember.on === 'test' ? r.accuracy : r.validationAccuracy;
    if (blendAcc !== undefined) {
      const d = blendAcc - r.bestMember.accuracy;
      lines.push(
        '',
        `${r.bestMember.on} accuracy ${pct(blendAcc)} vs best member ${r.bestMember.runId} ` +
          `${pct(r.bestMember.accuracy)} (${d >= 0 ? '+' : ''}${(d * 100).toFixed(2)} points)`,
      );
    }
  }
  if (r.accuracy === undefined)
    lines.push('', 'no test accuracy: no answer key (pass --labels FILE with ImageId,Label)');
  lines.push('', 'files:');
  for (const [k, v] of Object.entries(r.files)) lines.push(`  ${k.padEnd(24)} ${v}`);
  lines.push(
    '',
    `next: digitflow compare ${r.members.map((m) => m.dir).join(' ')} ${r.runDir}   |   digitflow report ${r.runDir}`,
  );
  return lines.join('\n');
}

/** `auto`, or comma-separated non-negative numbers. */
export function parseWeights(value: string): number[] | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new InvalidArgumentError(
      `--weights must be 'auto' or comma-separated non-negative numbers like 0.7,0.3, got '${value}'`,
    );
  }
  if (nums.every((n) => n === 0)) throw new InvalidArgumentError(`--weights must not be all 0, got '${value}'`);
  return nums;
}

export function registerBlend(program: Command): void {
  const command = program
    .command('blend')
    .summary("average several runs' probabilities into a new run")
    .description(
      [
        'Blend the per-class probabilities of several runs into a new run folder: probabilities.csv, ' +
          'submission.csv, metrics.json (when there is an answer key), ' +
          'the blended validation predictions and metrics, and a manifest naming its members and weights.',
        'Reads every format argmax reads (local CSV, Linear Learner JSON Lines .out, Amazon ML CSV; ' +
          'plain or gzip). Before writing anything it checks that the runs predicted the same test file ' +
          '(sha256 in their manifests) with the same ImageIds, and held out the same validation rows.',
        '--method mean averages the probabilities; geometric multiplies them (weighted) and renormalises. ' +
          '--weights auto tries weightings on a grid (steps of 0.05 for up to 3 runs) ' +
          'and keeps the one with the best validation accuracy (ties: lower log loss); ' +
          'the test answer key is never used to choose.',
      ].join('\n\n'),
    )
    .argument('<run...>', 'run folders to blend (at least two)')
    .addOption(
      new Option(
        '--weights <list>',
        "one weight per run (scaled to sum 1), or 'auto' to fit them on the validation rows (default: equal)",
      ).argParser(parseWeights),
    )
    .addOption(new Option('--method <method>', 'how to combine').choices(['mean', 'geometric']).default('mean'))
    .addOption(outOption('dir', 'the new run folder', '<runs-dir>/<date>-<time>-blend'))
    .option('--runs-dir <dir>', 'where new run folders go', 'runs')
    .option('--labels <file>', "answer key ImageId,Label for the test rows (default: the members' recorded labels)")
    .option('--num-classes <n>', 'number of classes', parseInteger('--num-classes', 2, 1000), 10)
    .option('--force', 'write into an existing --out folder');
  addExamples(command, [
    ['digitflow blend runs/cnn runs/linear', 'equal weights'],
    ['digitflow blend runs/cnn runs/linear --weights auto', 'fitted on the held-out rows'],
    ['digitflow blend runs/cnn runs/managed --weights 0.7,0.3 --method geometric -o runs/blend-1'],
  ]);
  command.action(
    async (
      runs: string[],
      opts: {
        weights?: number[] | 'auto';
        method: 'mean' | 'geometric';
        out?: string;
        runsDir: string;
        labels?: string;
        numClasses: number;
        force?: boolean;
      },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      const { blendStage } = await import('../../stages/blend.js'); // loaded on use: keeps CLI start-up short
      const result = await blendStage(
        {
          runs,
          weights: opts.weights,
          method: opts.method,
          out: opts.out,
          runsDir: opts.runsDir,
          labels: opts.labels,
          numClasses: opts.numClasses,
          seed: ctx.globals.seed,
          force: opts.force,
        },
        ctx.deps,
      );
      ctx.output(result, renderBlendText);
    },
  );
}
