/**
 * SageMaker, CloudWatch Logs and S3 adapters for the cloud commands, configured from the
 * environment (AWS_ENDPOINT_URL_SAGEMAKER / _S3 / _CLOUDWATCH_LOGS / AWS_ENDPOINT_URL).
 * Loaded lazily (`await import`) so that commands that never touch AWS do not pay for the SDK.
 */
import { createS3Client } from '../adapters/s3/client.js';
import { createSageMakerClient, createLogsClient } from '../adapters/sagemaker/client.js';
import { sageMakerJobs } from '../adapters/sagemaker/jobs.js';
import { s3RunStorage } from '../adapters/sagemaker/run-storage.js';
import type { SageMakerDeps } from '../stages/sagemaker/deps.js';
import type { StageDeps } from '../stages/deps.js';

export function cloudDeps(deps: StageDeps, region: string, opts: { logs?: boolean } = {}): SageMakerDeps {
  const env = process.env;
  const config = { region, endpoint: env.AWS_ENDPOINT_URL_SAGEMAKER ?? env.AWS_ENDPOINT_URL, logsEndpoint: env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? env.AWS_ENDPOINT_URL };
  return {
    ...deps,
    sagemaker: sageMakerJobs(createSageMakerClient(config), opts.logs === false ? undefined : createLogsClient(config)),
    storage: s3RunStorage(createS3Client({ region, endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL }), deps),
  };
}
