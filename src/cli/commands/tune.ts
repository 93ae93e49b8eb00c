/** `digitflow tune`: hyperparameter search, each trial a run folder, a leaderboard at the end. */
import { type Command, Option } from 'commander';
import { createContext } from '../context.js';
import { parseFloatIn, parseInteger } from '../options.js';
import { addExamples, outOption } from '../grammar.js';
import type { TuneResult } from '../../stages/local/tune.js';
import { safeText } from '../safe-text.js';

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(2)}%`);

export function renderTuneText(r: TuneResult): string {
  return safeText(tuneText(r), true);
}

function tuneText(r: TuneResult): string {
  const lines = [`tune ${r.tuneId}: ${r.strategy} search of the local ${r.model} model, ${r.leaderboard.length} trial(s), seed ${r.seed}, ${r.seconds.toFixed(1)} s`];
  if (r.schedule) lines.push(`  successive halving: ${r.schedule.map((s) => `${s.trials} x ${s.epochs} epoch(s)`).join(' → ')}`);
  lines.push('');
  // CNN trials also search augmentation and learning-rate decay.
  const extra = (['augmentShift', 'lrDecay'] as const).filter((k) => r.leaderboard.some((t) => t.params[k] !== undefined));
  const header = ['#', 'trial', 'learningRate', 'l2', 'batchSize', ...extra, 'epochs', 'val acc', 'val loss', 'train s'];
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
  lines.push('', `ranked by validation accuracy on the ${r.leaderboard[0]?.validationRows ?? 0} held-out rows every trial shares (ties: lower log loss); epochs = run/allowed (early stopping)`);
  if (r.best) {
    lines.push(`best: ${r.best.runDir} (${pct(r.best.validationAccuracy)} validation${r.best.testAccuracy !== undefined ? `, ${pct(r.best.testAccuracy)} on the ${r.best.testRows} test rows, scored after the search` : ''})`);
    lines.push(`leaderboard: ${r.file}`);
    lines.push('', `next: digitflow report ${r.best.runDir}   |   digitflow runs --dir ${r.tuneDir}   |   digitflow blend ${r.best.runDir} <another run> --weights auto`);
  }
  return lines.join('\n');
}

interface TuneFlags {
  engine: 'local' | 'sagemaker';
  model: 'linear' | 'cnn';
  trials: number;
  parallel: number;
  strategy: 'random' | 'halving';
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
        'Search the local model\'s hyperparameters (learning rate and l2 log-uniform, batch size, epochs; for the CNN also augmentation shift and learning-rate decay) with a seeded random search, or successive halving (--strategy halving: every setting gets a few epochs, the best third go on with three times as many).',
        'Every trial is a run folder <out>/trial-NN made by the train stage with the same seeded split, so all trials are scored on the same held-out validation rows. The test file and its answer key are used only once the search is over, to predict and score the best trial (which becomes a complete run for submit, compare and blend).',
        'The leaderboard is <out>/tune.json, rewritten after each finished trial; `digitflow runs --dir <out>` lists the trials like any runs. Ctrl-C stops: finished trials are kept, the half-trained one is removed.',
        '--engine sagemaker (a HyperparameterTuningJob for Linear Learner) is not available yet.',
      ].join('\n\n'),
    )
    .addOption(new Option('--engine <engine>', 'where trials train').choices(['local', 'sagemaker']).default('local'))
    .addOption(new Option('--model <model>', 'local model').choices(['linear', 'cnn']).default('linear'))
    .option('--trials <n>', 'settings to try', parseInteger('--trials', 1, 1000), 10)
    .option('--parallel <n>', 'trials trained at once, each in its own thread', parseInteger('--parallel', 1, 16), 1)
    .addOption(new Option('--strategy <strategy>', 'search strategy').choices(['random', 'halving']).default('random'))
    .option('--max-epochs <n>', 'successive halving: epochs of the last rung', parseInteger('--max-epochs', 1, 1000), 12)
    .option('--train <file>', 'Kaggle train.csv (default: data/train.csv, prepared from the bundled digits if missing)')
    .option('--test <file>', 'Kaggle test.csv predicted by the best trial (default: data/test.csv with the bundled digits)')
    .option('--labels <file>', 'answer key ImageId,Label for the test file (default: data/test_labels.csv when it exists)')
    .option('--data-dir <dir>', 'where the default data lives', 'data')
    .option('--runs-dir <dir>', 'where the tune folder goes', 'runs')
    .addOption(outOption('dir', 'the tune folder', '<runs-dir>/<date>-<time>-tune-<model>'))
    .option('--validation-fraction <f>', 'held-out share of the training rows, the same for every trial', parseFloatIn('--validation-fraction', 0, 0.9, { exclusiveMin: true }), 0.1)
    .addOption(new Option('--backend <backend>', 'tfjs backend (auto: node, else wasm, else cpu)').choices(['auto', 'node', 'wasm', 'cpu']).default('auto'))
    .option('--force', 'replace an existing tune folder\'s trials');
  addExamples(command, [
    ['digitflow tune --trials 10', 'bundled digits, linear model'],
    ['digitflow tune --model cnn --trials 9 --strategy halving --max-epochs 12'],
    ['digitflow tune --trials 20 --parallel 2 --train data/train.csv --test data/test.csv -o runs/tune-1'],
  ]);
  command.action(async (opts: TuneFlags, cmd: Command) => {
      const ctx = createContext(cmd);
      if (opts.engine === 'sagemaker') {
        const { UserInputError } = await import('../../errors/index.js');
        throw new UserInputError('ENGINE_UNSUPPORTED', 'tune --engine sagemaker (a Linear Learner HyperparameterTuningJob) is not available in this version', {
          hint: 'tune locally (--engine local), or run managed trainings with different --hyperparameters and compare them with digitflow runs',
        });
      }
      const { localTuneStage } = await import('../../stages/local/tune.js'); // loaded on use: keeps CLI start-up short
      const result = await localTuneStage(
        {
          model: opts.model,
          trials: opts.trials,
          parallel: opts.parallel,
          strategy: opts.strategy,
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
