/**
 * SageMaker, CloudWatch Logs, S3 and Price List adapters for the cloud commands, configured from
 * the environment (AWS_ENDPOINT_URL_SAGEMAKER / _S3 / _CLOUDWATCH_LOGS / _PRICING / AWS_ENDPOINT_URL).
 * Loaded lazily (`await import`) so that commands that never touch AWS do not pay for the SDK.
 */
import { createS3Client } from '../adapters/s3/client.js';
import { createSageMakerClient, createLogsClient } from '../adapters/sagemaker/client.js';
import { sageMakerJobs } from '../adapters/sagemaker/jobs.js';
import { s3RunStorage } from '../adapters/sagemaker/run-storage.js';
import { createPricingClient, priceListLookup } from '../adapters/pricing/price-list.js';
import type { SageMakerDeps } from '../stages/sagemaker/deps.js';
import type { StageDeps } from '../runtime/deps.js';

export function cloudDeps(
  deps: StageDeps,
  region: string,
  opts: { logs?: boolean; prices?: boolean } = {},
): SageMakerDeps {
  const env = process.env;
  const config = {
    region,
    endpoint: env.AWS_ENDPOINT_URL_SAGEMAKER ?? env.AWS_ENDPOINT_URL,
    logsEndpoint: env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? env.AWS_ENDPOINT_URL,
  };
  return {
    ...deps,
    sagemaker: sageMakerJobs(createSageMakerClient(config), opts.logs === false ? undefined : createLogsClient(config)),
    storage: s3RunStorage(createS3Client({ region, endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL }), deps),
    ...priceDeps(region, opts.prices !== false, env),
  };
}

/**
 * The Price List lookup, or why there is none. SageMaker pointed at a custom endpoint (a local
 * stand-in, a test server) asks no real AWS service for prices unless AWS_ENDPOINT_URL_PRICING (or
 * AWS_ENDPOINT_URL) says where.
 */
function priceDeps(
  region: string,
  wanted: boolean,
  env: NodeJS.ProcessEnv,
): Pick<SageMakerDeps, 'prices' | 'pricesOff'> {
  if (!wanted) return { pricesOff: 'price lookup off (--no-price-lookup)' };
  const endpoint = env.AWS_ENDPOINT_URL_PRICING ?? env.AWS_ENDPOINT_URL;
  if (!endpoint && env.AWS_ENDPOINT_URL_SAGEMAKER) {
    return {
      pricesOff:
        'SageMaker is a custom endpoint, so the AWS Price List API ' +
        'was not asked (set AWS_ENDPOINT_URL_PRICING to ask one)',
    };
  }
  return { prices: priceListLookup(createPricingClient({ region, endpoint })) };
}
