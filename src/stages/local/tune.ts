/**
 * `tune --engine local`: a seeded random search (or successive halving) over the local model's
 * hyperparameters. Every trial is a run folder `<tune>/trial-NN/` made by the train stage with the
 * same seeded split, so all trials are scored on the same held-out rows; the test file and its
 * answer key are used only after the search, to predict and score the best trial (which becomes a
 * complete run for submit, compare and blend). `tune.json` holds the leaderboard and is rewritten
 * after each finished trial; on Ctrl-C the finished trials stay, unfinished ones are removed.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError, isPipelineError, UserInputError } from '../../errors/index.js';
import { fileExists, writeJsonAtomic } from '../../adapters/atomic-file.js';
import { newRunId, readManifest, writeManifest } from '../../adapters/run-store.js';
import { sha256File } from '../../adapters/file-hash.js';
import { findWorkerScript, runThreadTask } from '../../adapters/thread-task.js';
import {
  halvingSchedule,
  sampleTrials,
  TUNE_SPACES,
  type TrialParams,
  type TuneModel,
  type TuneStrategy,
} from '../../domain/tune-space.js';
import type { Metrics } from '../../domain/metrics.js';
import type { ProgressEvent, StageDeps } from '../../runtime/deps.js';
import { resolveRunData } from '../default-data.js';
import { runTrial, type TrialInput, type TrialResult } from './tune-trial.js';

export const TUNE_FILE = 'tune.json';

export interface TuneLocalInput {
  model: TuneModel;
  trials: number;
  /** Trials trained at the same time, each in its own thread (default 1). */
  parallel?: number;
  strategy?: TuneStrategy;
  /** Successive halving: epochs of the last rung (default 12). */
  maxEpochs?: number;
  train?: string;
  test?: string;
  labels?: string;
  dataDir?: string;
  runsDir?: string;
  /** The tune folder; default <runsDir>/<date>-<time>-tune-<model>. */
  out?: string;
  validationFraction?: number;
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
  seed: number;
  force?: boolean;
}

export interface TuneLeaderboardRow extends TrialResult {
  rank: number;
}

export interface TuneResult {
  tuneId: string;
  tuneDir: string;
  engine: 'local';
  model: TuneModel;
  strategy: TuneStrategy;
  seed: number;
  status: 'completed' | 'interrupted' | 'failed';
  trialsRequested: number;
  parallel: number;
  schedule?: { trials: number; epochs: number }[];
  leaderboard: TuneLeaderboardRow[];
  best?: TuneLeaderboardRow & { testAccuracy?: number; testRows?: number; files: Record<string, string> };
  space: Record<string, unknown>;
  seconds: number;
  file: string;
}

/** Best first: validation accuracy, then lower validation log loss, then trial number. */
export function rankTrials(results: TrialResult[]): TuneLeaderboardRow[] {
  return [...results]
    .sort(
      (a, b) =>
        b.validationAccuracy - a.validationAccuracy ||
        (a.validationLogLoss ?? Infinity) - (b.validationLogLoss ?? Infinity) ||
        a.trial - b.trial,
    )
    .map((r, i) => ({ ...r, rank: i + 1 }));
}

function trialScript(): URL | undefined {
  return findWorkerScript([
    new URL('./tune-trial-worker.js', import.meta.url),
    new URL('../../../dist/stages/local/tune-trial-worker.js', import.meta.url),
  ]);
}

/** Trial events shown to the user: progress bars and warnings (per-epoch lines would drown the table). */
function trialReporter(deps: StageDeps, trial: number): (e: ProgressEvent) => void {
  return (e) => {
    if (e.kind === 'warn' || e.kind === 'progress-end') deps.reporter.emit(e);
    else if (e.kind === 'progress')
      deps.reporter.emit({ ...e, task: `trial${trial}:${e.task}`, label: `trial ${trial} ${e.label}` });
  };
}

const describe = (p: TrialParams) =>
  `lr ${p.learningRate} l2 ${p.l2} batch ${p.batchSize} epochs ${p.epochs}` +
  (p.augmentShift !== undefined ? ` shift ${p.augmentShift}` : '') +
  (p.lrDecay !== undefined ? ` decay ${p.lrDecay}` : '');

export async function localTuneStage(input: TuneLocalInput, deps: StageDeps): Promise<TuneResult> {
  const t0 = deps.clock.now();
  const strategy = input.strategy ?? 'random';
  const parallel = input.parallel ?? 1;
  if (!TUNE_SPACES[input.model])
    throw new UserInputError('MODEL_UNKNOWN', `unknown local model '${String(input.model)}'`, {
      hint: 'use --model linear or --model cnn',
    });
  if (!Number.isInteger(input.trials) || input.trials < 1)
    throw new UserInputError('TRIALS_INVALID', `--trials must be a whole number >= 1, got ${input.trials}`, {
      hint: 'e.g. --trials 10',
    });
  if ((input.train === undefined) !== (input.test === undefined) && input.test !== undefined) {
    throw new UserInputError('RUN_INPUTS', 'pass --train with --test (or neither, to use the bundled digits)', {
      hint: 'e.g. digitflow tune --train data/train.csv --test data/test.csv --labels data/test_labels.csv',
    });
  }
  const validationFraction = input.validationFraction ?? 0.1;
  if (!(validationFraction > 0)) {
    throw new UserInputError(
      'VALIDATION_FRACTION',
      'tune scores every trial on held-out rows: --validation-fraction must be above 0',
      { hint: 'e.g. --validation-fraction 0.1' },
    );
  }
  const data = await resolveRunData(
    {
      train: input.train,
      test: input.test,
      labels: input.labels,
      dataDir: input.dataDir ?? 'data',
      seed: input.seed,
      needTest: input.train === undefined,
    },
    deps,
  );
  const runsDir = input.runsDir ?? 'runs';
  const tuneDir =
    input.out ?? join(runsDir, await newRunId(runsDir, new Date(deps.clock.now()), `tune-${input.model}`));
  const tuneId = tuneDir.split(/[\\/]/).filter(Boolean).pop()!;
  if (!input.force && (await fileExists(join(tuneDir, TUNE_FILE)))) {
    throw new UserInputError('OUTPUT_EXISTS', `${tuneDir} already holds a tune`, {
      hint: 'choose another --out, or pass --force to replace it',
    });
  }

  const configs = sampleTrials(input.model, input.trials, input.seed);
  const maxEpochs = input.maxEpochs ?? 12;
  const schedule = strategy === 'halving' ? halvingSchedule(input.trials, maxEpochs) : undefined;
  const results: TrialResult[] = [];
  let nextTrial = 1;
  const script = parallel > 1 ? trialScript() : undefined;
  if (parallel > 1 && !script)
    deps.reporter.emit({
      kind: 'warn',
      code: 'TUNE_SERIAL',
      message: 'the trial worker script is not built; trials run one at a time',
    });
  const width = String(schedule ? schedule.reduce((a, r) => a + r.trials, 0) : input.trials).length;
  const started = new Set<string>();

  const base = {
    tuneId,
    tuneDir,
    engine: 'local' as const,
    model: input.model,
    strategy,
    seed: input.seed,
    trialsRequested: input.trials,
    parallel,
    schedule,
    space: TUNE_SPACES[input.model] as Record<string, unknown>,
    file: join(tuneDir, TUNE_FILE),
  };
  const save = async (status: TuneResult['status'], best?: TuneResult['best']): Promise<TuneResult> => {
    const result: TuneResult = {
      ...base,
      status,
      leaderboard: rankTrials(results),
      best,
      seconds: (deps.clock.now() - t0) / 1000,
    };
    await writeJsonAtomic(join(tuneDir, TUNE_FILE), result, { force: true });
    return result;
  };

  /** Runs `params` as trials, at most `parallel` at a time. */
  const runBatch = async (batch: TrialParams[], rung: number): Promise<TrialResult[]> => {
    const done: TrialResult[] = [];
    let i = 0;
    let failedLane = false;
    const lane = async () => {
      try {
        await worker();
      } catch (e) {
        failedLane = true; // the other lanes finish their trial and start no new one
        throw e;
      }
    };
    const worker = async () => {
      while (i < batch.length && !deps.signal?.aborted && !failedLane) {
        const params = batch[i++];
        const trial = nextTrial++;
        const runDir = join(tuneDir, `trial-${String(trial).padStart(width, '0')}`);
        if (input.force) await rm(runDir, { recursive: true, force: true });
        started.add(runDir);
        const trialInput: TrialInput = {
          tuneId,
          trial,
          rung,
          runDir,
          train: data.train,
          model: input.model,
          params,
          validationFraction,
          seed: input.seed,
          backend: input.backend,
          workers: input.model === 'cnn' && parallel > 1 ? 1 : undefined,
        };
        deps.reporter.emit({ kind: 'step', step: 'tune', message: `trial ${trial}: ${describe(params)}` });
        const emit = trialReporter(deps, trial);
        const r = script
          ? await runThreadTask<TrialResult>(script, trialInput, {
              onEvent: (e) => emit(e as ProgressEvent),
              signal: deps.signal,
            })
          : await runTrial(trialInput, { ...deps, reporter: { emit } });
        started.delete(runDir);
        results.push(r);
        done.push(r);
        deps.reporter.emit({
          kind: 'info',
          message:
            `trial ${trial}: validation accuracy ${r.validationAccuracy.toFixed(4)} ` +
            `(${describe(params)}, ${r.trainSeconds.toFixed(1)} s)`,
          data: { ...r },
        });
        await save('completed');
      }
    };
    // Settle every lane before reacting to a failure: a trial thread still writing must not race the clean-up.
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(parallel, batch.length) }, lane));
    const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (failed) throw failed.reason;
    if (deps.signal?.aborted) throw new InterruptedError('tune interrupted');
    return done;
  };

  try {
    if (!schedule) await runBatch(configs, 0);
    else {
      let survivors = configs;
      for (let r = 0; r < schedule.length; r++) {
        const rung = schedule[r];
        deps.reporter.emit({
          kind: 'step',
          step: 'tune',
          message: `rung ${r + 1}/${schedule.length}: ${survivors.length} trial(s) x ${rung.epochs} epoch(s)`,
        });
        const done = await runBatch(
          survivors.map((p) => ({ ...p, epochs: rung.epochs })),
          r,
        );
        const next = schedule[r + 1];
        if (next)
          survivors = rankTrials(done)
            .slice(0, next.trials)
            .map((t) => ({ ...t.params }));
      }
    }
  } catch (e) {
    // Finished trials stay; half-trained ones go.
    for (const dir of started) await rm(dir, { recursive: true, force: true });
    const interrupted = deps.signal?.aborted || (isPipelineError(e) && e.fault === 'interrupted');
    await save(interrupted ? 'interrupted' : 'failed').catch(() => undefined);
    if (interrupted) {
      const top = rankTrials(results)[0];
      throw new InterruptedError(
        `tune interrupted: ${results.length} finished trial(s) kept in ${tuneDir}` +
          (top ? `; best so far ${top.runDir} (validation accuracy ${top.validationAccuracy.toFixed(4)})` : ''),
      );
    }
    throw e;
  }

  const top = rankTrials(results)[0];
  const best: TuneResult['best'] = { ...top, files: { run: top.runDir, manifest: join(top.runDir, 'manifest.json') } };
  if (data.test) {
    deps.reporter.emit({
      kind: 'step',
      step: 'tune',
      message: `predicting ${data.test} with the best trial (${top.runDir})`,
    });
    const scored = await scoreBest(top.runDir, data.test, data.labels, deps);
    Object.assign(best, { testAccuracy: scored.metrics?.accuracy, testRows: scored.rows });
    Object.assign(best.files, scored.files);
  }
  return save('completed', best);
}

/** Test predictions, submission and (with an answer key) metrics for the best trial, as `run` makes them. */
async function scoreBest(
  runDir: string,
  test: string,
  labels: string | undefined,
  deps: StageDeps,
): Promise<{ rows: number; metrics?: Metrics; files: Record<string, string> }> {
  const { localPredictStage } = await import('./predict.js');
  const { argmaxStage } = await import('../argmax.js');
  const { evaluateStage } = await import('../evaluate.js');
  const probabilities = join(runDir, 'probabilities.csv');
  const submission = join(runDir, 'submission.csv');
  const predicted = await localPredictStage({ runDir, test, output: probabilities, force: true }, deps);
  await argmaxStage({ input: probabilities, output: submission, force: true }, deps);
  const files: Record<string, string> = { probabilities, submission };
  let metrics: Metrics | undefined;
  if (labels) {
    metrics = await evaluateStage(
      { submission, labels, probabilities, output: join(runDir, 'metrics.json'), force: true },
      deps,
    );
    files.metrics = join(runDir, 'metrics.json');
  }
  const manifest = await readManifest(runDir);
  const record = async (role: string, path: string, rows?: number) => {
    if (manifest.inputs.some((i) => i.role === role)) return;
    const h = await sha256File(path);
    manifest.inputs.push({ role, path, sha256: h.sha256, bytes: h.bytes, ...(rows !== undefined ? { rows } : {}) });
  };
  await record('test', test, predicted.rows);
  if (labels) await record('labels', labels);
  manifest.timings = { ...manifest.timings, predict: predicted.seconds };
  manifest.outputs = {
    ...manifest.outputs,
    probabilities: 'probabilities.csv',
    submission: 'submission.csv',
    ...(metrics ? { metrics: 'metrics.json' } : {}),
  };
  if (metrics) manifest.summary = { ...manifest.summary, accuracy: metrics.accuracy, macroF1: metrics.macroF1 };
  await writeManifest(runDir, manifest, new Date(deps.clock.now()));
  return { rows: predicted.rows, metrics, files };
}
