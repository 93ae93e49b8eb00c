/**
 * `predict --engine sagemaker --run RUN_DIR`: a new batch transform for a trained run. Job names
 * get an attempt suffix so a rerun never collides with the previous transform jobs.
 */
import { join } from 'node:path';
import { buildRunPlan, type PlanInput } from '../domain/sagemaker-plan.js';
import { UserInputError } from '../errors/index.js';
import { sha256File } from '../adapters/file-hash.js';
import { checkLinearLearnerCsv } from './sagemaker-preflight.js';
import { prepareTestShards } from './sagemaker-data.js';
import { createModel, type WaitSettings } from './sagemaker-jobs.js';
import { finishCost, transformAndScore, type SageMakerRunResult } from './sagemaker-run.js';
import type { ManifestRecorder, SageMakerDeps } from './sagemaker-deps.js';

export interface SageMakerPredictInput {
  /** New test features to upload; default: the shards uploaded by the earlier run. */
  testFile?: string;
  labelsFile?: string;
  wait: WaitSettings;
}

/** Re-runs the transforms of a trained managed run recorded in `rec`. */
export async function sagemakerPredictStage(input: SageMakerPredictInput, rec: ManifestRecorder, deps: SageMakerDeps): Promise<SageMakerRunResult> {
  const sm = rec.sagemaker;
  const planInput = sm.planInput as PlanInput | undefined;
  const modelDataUrl = sm.modelDataUrl as string | undefined;
  if (rec.manifest.engine !== 'sagemaker' || !planInput || !modelDataUrl) {
    throw new UserInputError('RUN_NOT_TRAINED', `${rec.runDir} is not a trained sagemaker run`, {
      hint: 'train first: digitflow train --engine sagemaker ... (or attach to its training job)',
      details: { runDir: rec.runDir },
    });
  }
  const attempts = rec.manifest.resources.filter((r) => r.kind === 'transform-job' && r.id.includes('-tf-test-')).length;
  const plan = buildRunPlan({ ...planInput, transformAttempt: attempts + 1 });
  let shardRows = sm.shardRows as number[] | undefined;
  if (input.testFile) {
    const test = await prepareTestShards(
      { testFile: input.testFile, shards: plan.s3.testShards.length, outDir: join(rec.runDir, 'sagemaker-input'), numClasses: planInput.numClasses },
      deps,
    );
    for (const shard of test.shards) await checkLinearLearnerCsv(shard, { labelled: false, numClasses: planInput.numClasses, signal: deps.signal });
    await deps.storage.headBucket(plan.s3.bucket);
    for (const [i, shard] of test.shards.entries()) await deps.storage.putFile(shard, `${plan.s3.testInput}${plan.s3.testShards[i]}`);
    shardRows = test.shardRows;
    sm.shardRows = shardRows;
    rec.manifest.inputs = rec.manifest.inputs.filter((i) => i.role !== 'test');
    rec.manifest.inputs.push({ role: 'test', path: input.testFile, ...(await sha256File(input.testFile)), rows: test.rows });
  }
  if (!shardRows) {
    throw new UserInputError('TEST_REQUIRED', `${rec.runDir} has no uploaded test set`, { hint: 'pass --test data/test.csv' });
  }
  if (input.labelsFile) {
    rec.manifest.inputs = rec.manifest.inputs.filter((i) => i.role !== 'labels');
    rec.manifest.inputs.push({ role: 'labels', path: input.labelsFile, ...(await sha256File(input.labelsFile)) });
  }
  await createModel(plan, modelDataUrl, rec, deps);
  const scored = await transformAndScore(plan, shardRows, Number(sm.validationRows ?? 0), input.labelsFile, input.wait, rec, deps);
  const result: SageMakerRunResult = {
    runId: rec.manifest.runId,
    runDir: rec.runDir,
    engine: 'sagemaker',
    model: plan.names.model,
    transformJobs: [],
    modelDataUrl,
    billableSeconds: 0,
    outputs: {},
    timings: rec.manifest.timings,
    ...scored,
  };
  finishCost(plan, rec, result);
  await rec.save();
  return result;
}
