/**
 * `predict RUN --engine sagemaker`: a new batch transform for a trained run. Job names
 * get an attempt suffix so a rerun never collides with the previous transform jobs.
 */
import { join } from 'node:path';
import { buildRunPlan, runS3Layout } from '../../domain/sagemaker-plan.js';
import { UserInputError } from '../../errors/index.js';
import { sha256File } from '../../adapters/file-hash.js';
import { readManifest, RunRecorder } from '../../adapters/run-store.js';
import { checkLinearLearnerCsv } from './preflight.js';
import { channelFiles, prepareTestShards, syncChannelFiles } from './data.js';
import { createModel, type WaitSettings } from './jobs.js';
import { finishCost, priceTypes, transformAndScore, type SageMakerRunResult } from './run.js';
import { resolvePrices } from './billing.js';
import type { SageMakerDeps } from './deps.js';

export interface SageMakerPredictInput {
  runDir: string;
  /** New test features to upload; default: the shards uploaded by the earlier run. */
  testFile?: string;
  labelsFile?: string;
  wait: WaitSettings;
}

/** The region a managed run was planned in (read by the CLI to build clients). */
export async function regionOfRun(runDir: string): Promise<string | undefined> {
  return (await readManifest(runDir)).sagemaker?.planInput?.region;
}

/** Re-runs the transform of a trained managed run. */
export async function sagemakerPredictStage(
  input: SageMakerPredictInput,
  deps: SageMakerDeps,
): Promise<SageMakerRunResult> {
  const rec = new RunRecorder(input.runDir, await readManifest(input.runDir), deps.clock);
  const sm = rec.manifest.sagemaker;
  if (rec.manifest.engine !== 'sagemaker' || !sm?.planInput || !sm.modelDataUrl) {
    throw new UserInputError('RUN_NOT_TRAINED', `${rec.runDir} is not a trained sagemaker run`, {
      hint: 'train first: digitflow train --engine sagemaker ... (or attach to its training job)',
      details: { runDir: rec.runDir },
    });
  }
  const planInput = sm.planInput;
  const attempts = rec.manifest.resources.filter((r) => r.kind === 'transform-job').length;
  const plan = buildRunPlan({ ...planInput, transformAttempt: attempts + 1 });
  let shardRows = sm.shardRows;
  if (input.testFile) {
    const test = await prepareTestShards(
      {
        testFile: input.testFile,
        shards: plan.s3.testShards.length,
        outDir: join(rec.runDir, 'sagemaker-input'),
        numClasses: planInput.numClasses,
      },
      deps,
    );
    for (const shard of test.shards)
      await checkLinearLearnerCsv(shard, { labelled: false, numClasses: planInput.numClasses, signal: deps.signal });
    await deps.sagemaker.checkCredentials();
    await deps.storage.headBucket(plan.s3.bucket);
    const layout = runS3Layout(plan.s3.bucket, planInput.prefix, planInput.runId);
    // The validation features stay: the transform scores them again next to the new test set.
    await syncChannelFiles(channelFiles(layout, undefined, test), deps.storage, deps, (uri) =>
      uri.endsWith(`/${plan.s3.validationFeatures}`),
    );
    shardRows = test.shardRows;
    sm.shardRows = shardRows;
    rec.manifest.inputs = rec.manifest.inputs.filter((i) => i.role !== 'test');
    rec.manifest.inputs.push({
      role: 'test',
      path: input.testFile,
      ...(await sha256File(input.testFile)),
      rows: test.rows,
    });
  }
  if (!shardRows) {
    throw new UserInputError('TEST_REQUIRED', `${rec.runDir} has no uploaded test set`, {
      hint: 'pass --test data/test.csv',
    });
  }
  if (input.labelsFile) {
    rec.manifest.inputs = rec.manifest.inputs.filter((i) => i.role !== 'labels');
    rec.manifest.inputs.push({ role: 'labels', path: input.labelsFile, ...(await sha256File(input.labelsFile)) });
  }
  // This command's prices (the earlier jobs of the run are re-priced with them too: same region).
  await deps.sagemaker.checkCredentials();
  sm.prices = await resolvePrices(plan.region, priceTypes(plan), deps);
  await createModel(plan, sm.modelDataUrl, rec, deps);
  const scored = await transformAndScore(
    plan,
    shardRows,
    Number(sm.validationRows ?? 0),
    input.labelsFile,
    input.wait,
    rec,
    deps,
  );
  const result: SageMakerRunResult = {
    runId: rec.manifest.runId,
    runDir: rec.runDir,
    engine: 'sagemaker',
    model: plan.names.model,
    transformJobs: [],
    modelDataUrl: sm.modelDataUrl,
    billableSeconds: 0,
    outputs: {},
    timings: rec.manifest.timings,
    ...scored,
  };
  finishCost(plan, rec, result);
  await rec.save();
  return result;
}
