/**
 * The one place SageMaker and CloudWatch Logs clients are built. The CLI passes the endpoint in
 * (from AWS_ENDPOINT_URL_SAGEMAKER / AWS_ENDPOINT_URL_CLOUDWATCH_LOGS): stages never read env.
 * Throttling and transient errors are retried by the SDK's standard retry strategy (exponential
 * backoff with jitter); we only raise the attempt count, since a lost Describe call is cheap to
 * repeat and a failed run is not.
 */
import { SageMakerClient, type SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

export interface SageMakerConfig {
  region: string;
  /** Custom endpoint (loopback test server); undefined = real AWS. */
  endpoint?: string;
  logsEndpoint?: string;
  credentials?: SageMakerClientConfig['credentials'];
  /** Total attempts per request (default 6). */
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 6;

/** SageMaker client with standard retries. */
export function createSageMakerClient(config: SageMakerConfig): SageMakerClient {
  return new SageMakerClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    retryMode: 'standard',
    maxAttempts: config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  });
}

/** CloudWatch Logs client for `--logs`. */
export function createLogsClient(config: SageMakerConfig): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    region: config.region,
    ...(config.logsEndpoint ? { endpoint: config.logsEndpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    retryMode: 'standard',
    maxAttempts: config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  });
}
