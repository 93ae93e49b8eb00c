/** `digitflow tune`: hyperparameter search, each trial a run folder, a leaderboard at the end. */
import { type Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseFloatIn, parseInteger } from '../options.js';
import { outOption } from '../grammar.js';
import { addExamples, withShownDefault } from '../grammar.js';
import type { TuneResult } from '../../stages/local/tune.js';
import type { SageMakerTuneDryRun, SageMakerTuneResult } from '../../stages/sagemaker/tune.js';
import { safeText } from '../safe-text.js';
import { addSageMakerTrainOptions, refuseFlagsForEngine, tuneWithSageMaker } from './sagemaker-engine.js';
import { renderPlanText } from '../../domain/sagemaker-plan.js';
import { renderTuningPlanText } from '../../domain/linear-learner-tuning.js';
import { UserInputError } from '../../errors/index.js';

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(2)}%`);

export function renderTuneText(r: TuneResult): string {
  return safeText(tuneText(r), true);
}

function tuneText(r: TuneResult): string {
  const lines = [
    `tune ${r.tuneId}: ${r.strategy} search of the local ${r.model} model, ` +
      `${r.leaderboard.length} trial(s), seed ${r.seed}, ${r.seconds.toFixed(1)} s`,
  ];
  if (r.schedule)
    lines.push(`  successive halving: ${r.schedule.map((s) => `${s.trials} x ${s.epochs} epoch(s)`).join(' → ')}`);
  lines.push('');
  // CNN trials also search augmentation and learning-rate decay.
  const extra = (['augmentShift', 'lrDecay'] as const).filter((k) =>
    r.leaderboard.some((t) => t.params[k] !== undefined),
  );
  const header = [
    '#',
    'trial',
    'learningRate',
    'l2',
    'batchSize',
    ...extra,
    'epochs',
    'val acc',
    'val loss',
    'train s',
  ];
  const rows = r.leaderboard.map((t) => [
    String(t.rank),
    t.runDir.split(/[\\/]/).pop()!,
    String(t.params.learningRate),
    String(t.params.l2),
    String(t.params.batchSize),
    ...extra.map((k) => String(t.params[k] ?? '—')),
    `${t.epochsRun}/${t.params.epochs}`,
    pct(t.validationAccuracy),
    t.validationLogLoss === undefined ? '—' : t.validationLogLoss.toFixed(4),
    t.trainSeconds.toFixed(1),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const fmt = (row: string[]) => row.map((v, c) => (c === 1 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  lines.push(fmt(header), ...rows.map(fmt));
  lines.push(
    '',
    `ranked by validation accuracy on the ${r.leaderboard[0]?.validationRows ?? 0} held-out rows every ` +
      `trial shares (ties: lower log loss); epochs = run/allowed (early stopping)`,
  );
  if (r.best) {
    lines.push(
      `best: ${r.best.runDir} (${pct(r.best.validationAccuracy)} validation` +
        (r.best.testAccuracy !== undefined
          ? `, ${pct(r.best.testAccuracy)} on the ${r.best.testRows} test rows, scored after the search`
          : '') +
        ')',
    );
    lines.push(`leaderboard: ${r.file}`);
    lines.push(
      '',
      `next: digitflow report ${r.best.runDir}   |   digitflow runs --dir ${r.tuneDir}   |   digitflow ` +
        `blend ${r.best.runDir} <another run> --weights auto`,
    );
  }
  return lines.join('\n');
}

/** The sagemaker tune's leaderboard: the same columns idea as the local one (tuned values, objective, time). */
export function renderSageMakerTuneText(r: SageMakerTuneResult): string {
  return safeText(sageMakerTuneText(r), true);
}

function sageMakerTuneText(r: SageMakerTuneResult): string {
  const lines = [
    `tune ${r.runId}: ${r.strategy} search of Linear Learner on SageMaker, ` +
      `tuning job ${r.tuningJob} ${r.status}, ${r.leaderboard.length} trial(s) ` +
      `of up to ${r.maxJobs} (${r.maxParallel} at a time)`,
    '',
  ];
  const names = [...new Set(r.leaderboard.flatMap((t) => Object.keys(t.tuned)))].sort();
  const header = ['#', 'training job', ...names, 'status', 'val acc', 'billable s'];
  const rows = r.leaderboard.map((t) => [
    String(t.rank),
    t.trainingJob,
    ...names.map((k) => t.tuned[k] ?? '—'),
    t.status,
    pct(t.objective),
    t.billableSeconds === undefined ? '—' : String(t.billableSeconds),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const fmt = (row: string[]) => row.map((v, c) => (c === 1 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  lines.push(fmt(header), ...rows.map(fmt));
  lines.push(
    '',
    `ranked by ${r.objective} (SageMaker's objective, on the held-out validation rows every trial shares)`,
  );
  for (const t of r.leaderboard.filter((x) => x.failureReason).slice(0, 3))
    lines.push(`  ${t.trainingJob}: ${t.failureReason}`);
  if (r.best) {
    lines.push(
      `best: ${r.best.trainingJob} (${pct(r.best.objective)} validation) -> model ${r.model ?? '—'}, ` +
        `transform ${r.transformJobs.join(', ') || '—'}`,
    );
    if (r.validationMetrics?.accuracy !== undefined)
      lines.push(
        `  validation accuracy ${pct(r.validationMetrics.accuracy)} (scored locally from the batch transform)`,
      );
    if (r.metrics?.accuracy !== undefined) lines.push(`  test accuracy ${pct(r.metrics.accuracy)}`);
    for (const [k, v] of Object.entries(r.outputs)) lines.push(`  ${k.padEnd(24)} ${v}`);
  }
  lines.push(
    `billable ${r.billableSeconds} ` +
      `instance-seconds${r.costEstimate ? `, ~$${r.costEstimate.usd.toFixed(2)} (estimate)` : ''}`,
  );
  lines.push(
    '',
    `next: digitflow report ${r.runDir}   |   digitflow compare ${r.runDir} <another run>   |   digitflow ` +
      `cleanup ${r.runDir}`,
  );
  return lines.join('\n');
}

/** `tune --engine sagemaker --dry-run`: the run plan, then the tuning plan. */
export function renderSageMakerTuneDryRun(r: SageMakerTuneDryRun): string {
  // The run plan's single-job lines (its hyperparameters and cost) are replaced by the tuning plan's.
  const runPlan = renderPlanText(r.plan)
    .split('\n')
    .filter((l) => !/^ {2}(hyperparameters|estimated cost) /.test(l) && !/^ {2}checked {10}mini_batch_size /.test(l))
    .map((l) => l.replace(` ${r.plan.names.trainingJob} `, ` ${r.tuning.name}-<NNN>-<id> (each trial) `));
  const lines = [...runPlan, renderTuningPlanText(r.tuning)];
  for (const f of r.checks.files)
    lines.push(`  checked          ${f.role} ${f.path}: ${f.rows} rows parse, Linear Learner CSV rules hold`);
  const { found, detail } = r.checks.credentials;
  lines.push(`  credentials      ${found ? 'found' : `not found${detail ? ` (${detail})` : ''}`}`);
  lines.push('(dry run: nothing was created, nothing was called that costs)');
  return safeText(lines.join('\n'), true);
}

interface TuneFlags {
  engine: 'local' | 'sagemaker';
  model: 'linear' | 'cnn';
  trials: number;
  parallel: number;
  strategy?: 'random' | 'halving' | 'bayesian';
  maxJobs: number;
  maxParallel: number;
  range?: string[];
  maxEpochs: number;
  train?: string;
  test?: string;
  labels?: string;
  dataDir: string;
  runsDir: string;
  out?: string;
  validationFraction: number;
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
  force?: boolean;
}

export function registerTune(program: Command): void {
  const command = program
    .command('tune')
    .summary('hyperparameter search, each trial a run folder')
    .description(
      [
        "Search the local model's hyperparameters (learning rate and l2 log-uniform, batch size, epochs; " +
          'for the CNN also augmentation shift and learning-rate decay) with a seeded random search, ' +
          'or successive halving (--strategy halving: every setting gets a few epochs, ' +
          'the best third go on with three times as many).',
        'Every trial is a run folder <out>/trial-NN made by the train stage with the same seeded split, ' +
          'so all trials are scored on the same held-out validation rows. ' +
          'The test file and its answer key are used only once the search is over, ' +
          'to predict and score the best trial (which becomes a complete run for submit, compare and blend).',
        'The leaderboard is <out>/tune.json, rewritten after each finished trial; ' +
          '`digitflow runs --dir <out>` lists the trials like any runs. Ctrl-C stops: ' +
          'finished trials are kept, the half-trained one is removed.',
        '--engine sagemaker runs one SageMaker hyperparameter tuning job for Linear Learner: ' +
          'the same pre-flight, upload, flags and plan as `run --engine sagemaker` (--hp fixes a ' +
          'hyperparameter for every trial), the objective validation:multiclass_accuracy (maximised), ' +
          'a Bayesian or random search over the documented ranges (learning_rate, wd, l1 on a log scale, ' +
          'mini_batch_size; narrow them with --range), at most --max-jobs trials, --max-parallel at a time. ' +
          'The best trial then goes through CreateModel and one batch transform like `run`. ' +
          '--dry-run prints both plans and the cost bound (max-jobs x one training job + the transform). ' +
          'Ctrl-C at a terminal asks whether to stop the tuning job (and its trials) or detach; ' +
          'otherwise it detaches and `digitflow attach <tuning job> -o <dir>` resumes.',
      ].join('\n\n'),
    )
    .addOption(new Option('--engine <engine>', 'where trials train').choices(['local', 'sagemaker']).default('local'))
    .addOption(new Option('--model <model>', 'local model').choices(['linear', 'cnn']).default('linear'))
    .option('--trials <n>', 'settings to try', parseInteger('--trials', 1, 1000), 10)
    .option('--parallel <n>', 'trials trained at once, each in its own thread', parseInteger('--parallel', 1, 16), 1)
    .addOption(
      withShownDefault(
        new Option('--strategy <strategy>', 'search strategy: local random|halving, sagemaker bayesian|random').choices(
          ['random', 'halving', 'bayesian'],
        ),
        'random locally, bayesian on sagemaker',
      ),
    )
    .option(
      '--max-jobs <n>',
      '[sagemaker] training jobs the tuning job may launch',
      parseInteger('--max-jobs', 1, 500),
      10,
    )
    .option('--max-parallel <n>', '[sagemaker] trials running at once', parseInteger('--max-parallel', 1, 100), 2)
    .option(
      '--range <name=min:max>',
      '[sagemaker] tune only these, within the documented ranges (repeatable; e.g. ' +
        '--range learning_rate=0.001:0.5, --range use_bias=true,false)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--max-epochs <n>',
      'successive halving: epochs of the last rung',
      parseInteger('--max-epochs', 1, 1000),
      12,
    )
    .option('--train <file>', 'Kaggle train.csv (default: data/train.csv, prepared from the bundled digits if missing)')
    .option(
      '--test <file>',
      'Kaggle test.csv predicted by the best trial (default: data/test.csv with the bundled digits)',
    )
    .option(
      '--labels <file>',
      'answer key ImageId,Label for the test file (default: data/test_labels.csv when it exists)',
    )
    .option('--data-dir <dir>', 'where the default data lives', 'data')
    .option('--runs-dir <dir>', 'where the tune folder goes', 'runs')
    .addOption(outOption('dir', 'the tune folder', '<runs-dir>/<date>-<time>-tune-<model>'))
    .option(
      '--validation-fraction <f>',
      'held-out share of the training rows, the same for every trial',
      parseFloatIn('--validation-fraction', 0, 0.9, { exclusiveMin: true }),
      0.1,
    )
    .addOption(
      new Option('--backend <backend>', 'tfjs backend (auto: node, else wasm, else cpu)')
        .choices(['auto', 'node', 'wasm', 'cpu'])
        .default('auto'),
    )
    .option('--force', "replace an existing tune folder's trials");
  addSageMakerTrainOptions(command);
  addExamples(command, [
    ['digitflow tune --trials 10', 'bundled digits, linear model'],
    ['digitflow tune --model cnn --trials 9 --strategy halving --max-epochs 12'],
    ['digitflow tune --trials 20 --parallel 2 --train data/train.csv --test data/test.csv -o runs/tune-1'],
    [
      'digitflow tune --engine sagemaker --bucket my-bucket --role ' +
        'arn:aws:iam::123456789012:role/SageMakerRole --max-jobs 20 --max-parallel 4 --dry-run',
    ],
    [
      'digitflow tune --engine sagemaker --bucket my-bucket --role ' +
        'arn:aws:iam::123456789012:role/SageMakerRole --strategy random --range learning_rate=0.001:0.5 -o ' +
        'runs/tune-sm',
    ],
  ]);
  command.action(async (opts: TuneFlags, cmd: Command) => {
    refuseTuneFlags(cmd, opts.engine);
    if (opts.engine === 'sagemaker') {
      const strategy = opts.strategy === 'random' ? 'Random' : 'Bayesian';
      await tuneWithSageMaker<SageMakerTuneResult, SageMakerTuneDryRun>(
        opts as unknown as Record<string, unknown>,
        cmd,
        { strategy, maxJobs: opts.maxJobs, maxParallel: opts.maxParallel, ranges: opts.range ?? [] },
        { result: renderSageMakerTuneText, dryRun: renderSageMakerTuneDryRun },
      );
      return;
    }
    const ctx = createContext(cmd);
    const { localTuneStage } = await import('../../stages/local/tune.js'); // loaded on use: keeps CLI start-up short
    const result = await localTuneStage(
      {
        model: opts.model,
        trials: opts.trials,
        parallel: opts.parallel,
        strategy: opts.strategy === 'halving' ? 'halving' : 'random',
        maxEpochs: opts.maxEpochs,
        train: opts.train,
        test: opts.test,
        labels: opts.labels,
        dataDir: opts.dataDir,
        runsDir: opts.runsDir,
        out: opts.out,
        validationFraction: opts.validationFraction,
        backend: opts.backend,
        seed: ctx.globals.seed,
        force: opts.force,
      },
      ctx.deps,
    );
    ctx.output(result, renderTuneText);
  });
}

/** Flags given on the command line that the chosen engine would ignore → exit 2 naming them. */
const TUNE_LOCAL_ONLY = ['model', 'trials', 'parallel', 'maxEpochs', 'backend'];
const TUNE_SAGEMAKER_ONLY = ['maxJobs', 'maxParallel', 'range', 'epochs'];

function refuseTuneFlags(cmd: Command, engine: 'local' | 'sagemaker'): void {
  refuseFlagsForEngine(cmd, engine);
  const given = (k: string) => ['cli', 'env'].includes(cmd.getOptionValueSource(k) ?? '');
  const strategy = cmd.getOptionValue('strategy') as string | undefined;
  if (
    given('strategy') &&
    ((engine === 'local' && strategy === 'bayesian') || (engine === 'sagemaker' && strategy === 'halving'))
  ) {
    throw new UserInputError('FLAG_NOT_APPLICABLE', `--strategy ${strategy} has no meaning for --engine ${engine}`, {
      hint:
        engine === 'local' ? 'locally: --strategy random or halving' : 'on SageMaker: --strategy bayesian or random',
      details: { flag: '--strategy', engine },
    });
  }
  const names = engine === 'sagemaker' ? TUNE_LOCAL_ONLY : TUNE_SAGEMAKER_ONLY;
  for (const key of names) {
    if (!given(key)) continue;
    const flag = cmd.options.find((o) => o.attributeName() === key)?.long ?? key;
    throw new UserInputError('FLAG_NOT_APPLICABLE', `${flag} has no meaning for tune --engine ${engine}`, {
      hint:
        engine === 'sagemaker'
          ? 'on SageMaker: --max-jobs, --max-parallel and --range (Linear Learner only)'
          : 'this flag belongs to --engine sagemaker; add it, or drop the flag',
      details: { flag, engine },
    });
  }
}
