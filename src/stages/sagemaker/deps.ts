/**
 * What the managed-engine stages receive on top of StageDeps: SageMaker and S3 behind adapter
 * interfaces (built by the CLI from flags and env), the price lookup, and how to ask the user what to do on Ctrl-C.
 * No stage imports the AWS SDK.
 */
import type { SageMakerJobs } from '../../adapters/sagemaker/jobs.js';
import type { RunStorage } from '../../adapters/sagemaker/run-storage.js';
import type { JobKind } from '../../adapters/sagemaker/wait-for-job.js';
import type { PriceLookup } from '../../adapters/pricing/price-list.js';
import { RunRecorder } from '../../adapters/run-store.js';
import type { StageDeps } from '../deps.js';

export interface SageMakerDeps extends StageDeps {
  sagemaker: SageMakerJobs;
  storage: RunStorage;
  /** AWS Price List API (free; `pricing:GetProducts`). Missing = use the shipped dated table. */
  prices?: PriceLookup;
  /** Why `prices` is missing (e.g. `--no-price-lookup`), said next to the estimate. */
  pricesOff?: string;
  /** Asked on Ctrl-C during a wait. Missing = detach (non-interactive sessions). */
  onInterrupt?: (jobs: { kind: JobKind; name: string }[]) => Promise<'stop' | 'detach'>;
}

/** The run recorder (one for both engines); the old name stays for callers and tests. */
export { RunRecorder as ManifestRecorder };
export type { RunRecorder };
