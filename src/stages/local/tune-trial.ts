/**
 * One trial of `tune --engine local`: train with the trial's settings into its own run folder
 * (the train stage, unchanged: same seeded split, so every trial is scored on the same held-out
 * rows), then score the held-out rows (validation submission + metrics) and mark the manifest as
 * a tune trial. The test file is not looked at here.
 */
import { join } from 'node:path';
import { readManifest, writeManifest } from '../../adapters/run-store.js';
import { fileExists } from '../../adapters/atomic-file.js';
import type { TrialParams, TuneModel } from '../../domain/tune-space.js';
import { localTrainStage } from './train.js';
import { argmaxStage } from '../argmax.js';
import { evaluateStage } from '../evaluate.js';
import type { StageDeps } from '../../runtime/deps.js';

export interface TrialInput {
  tuneId: string;
  trial: number;
  /** 0 for random search; the rung for successive halving. */
  rung: number;
  runDir: string;
  train: string;
  model: TuneModel;
  params: TrialParams;
  validationFraction: number;
  seed: number;
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
  /** CNN gradient threads for this trial. */
  workers?: number;
}

export interface TrialResult {
  trial: number;
  rung: number;
  runId: string;
  runDir: string;
  params: TrialParams;
  validationAccuracy: number;
  validationLogLoss?: number;
  validationRows: number;
  trainSeconds: number;
  epochsRun: number;
  bestEpoch?: number;
}

export async function runTrial(input: TrialInput, deps: StageDeps): Promise<TrialResult> {
  const { runDir, params } = input;
  const trained = await localTrainStage(
    {
      train: input.train,
      outDir: runDir,
      model: input.model,
      epochs: params.epochs,
      batchSize: params.batchSize,
      learningRate: params.learningRate,
      l2: params.l2,
      augmentShift: params.augmentShift,
      lrDecay: params.lrDecay,
      validationFraction: input.validationFraction,
      seed: input.seed,
      backend: input.backend,
      workers: input.workers,
    },
    deps,
  );
  const valProbs = join(runDir, trained.outputs.validationProbabilities ?? 'validation-probabilities.csv');
  const valLabels = join(runDir, trained.outputs.validationLabels ?? 'validation-labels.csv');
  const manifest = await readManifest(runDir);
  let validationAccuracy = trained.validationAccuracy ?? 0;
  let validationLogLoss: number | undefined;
  if (await fileExists(valProbs)) {
    const valSubmission = join(runDir, 'validation-submission.csv');
    await argmaxStage({ input: valProbs, output: valSubmission, force: true }, deps);
    const vm = await evaluateStage(
      {
        submission: valSubmission,
        labels: valLabels,
        probabilities: valProbs,
        output: join(runDir, 'validation-metrics.json'),
        force: true,
      },
      deps,
    );
    validationAccuracy = vm.accuracy;
    validationLogLoss = vm.logLoss;
    manifest.outputs = {
      ...manifest.outputs,
      validationSubmission: 'validation-submission.csv',
      validationMetrics: 'validation-metrics.json',
    };
    manifest.summary = { ...manifest.summary, validationAccuracy: vm.accuracy, validationMacroF1: vm.macroF1 };
  }
  manifest.command = 'tune';
  manifest.tune = { tuneId: input.tuneId, trial: input.trial, rung: input.rung, params };
  await writeManifest(runDir, manifest, new Date(deps.clock.now()));
  return {
    trial: input.trial,
    rung: input.rung,
    runId: manifest.runId,
    runDir,
    params,
    validationAccuracy,
    validationLogLoss,
    validationRows: trained.validationRows.length,
    trainSeconds: trained.trainSeconds,
    epochsRun: trained.epochs.length,
    bestEpoch: trained.bestEpoch,
  };
}
