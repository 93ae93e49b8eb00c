/**
 * What the managed-engine stages receive on top of StageDeps: the clients (built by the CLI from
 * flags and env), the S3 operations, and how to ask the user what to do on Ctrl-C.
 */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { RunStorage } from '../adapters/sagemaker/run-storage.js';
import type { JobKind } from '../adapters/sagemaker/wait-for-job.js';
import type { CloudResource, CloudResourceKind, RunManifest } from '../domain/manifest.js';
import { writeManifest } from '../adapters/run-store.js';
import type { StageDeps } from './deps.js';

export interface SageMakerDeps extends StageDeps {
  sagemaker: SageMakerClient;
  storage: RunStorage;
  /** Present with --logs. */
  logs?: CloudWatchLogsClient;
  /** Asked on Ctrl-C during a wait. Missing = detach (non-interactive sessions). */
  onInterrupt?: (jobs: { kind: JobKind; name: string }[]) => Promise<'stop' | 'detach'>;
}

/** Keeps the run manifest on disk in step with what was created, one atomic rewrite per change. */
export class ManifestRecorder {
  constructor(
    readonly runDir: string,
    readonly manifest: RunManifest,
    private readonly deps: StageDeps,
  ) {}

  /** Records a resource the moment it exists, so a crash right after still leaves a trace. */
  async addResource(kind: CloudResourceKind, id: string, region: string, deletable: boolean): Promise<void> {
    if (this.manifest.resources.some((r) => r.kind === kind && r.id === id)) return;
    const r: CloudResource = { kind, id, region, deletable, createdAt: new Date(this.deps.clock.now()).toISOString() };
    this.manifest.resources.push(r);
    await this.save();
  }

  async timing(phase: string, seconds: number): Promise<void> {
    this.manifest.timings[phase] = Math.round(seconds * 1000) / 1000;
    await this.save();
  }

  /** Adds billed instance-seconds to the run's total (also for jobs that failed or were stopped). */
  async bill(seconds: number): Promise<void> {
    this.manifest.billableSeconds = (this.manifest.billableSeconds ?? 0) + seconds;
    await this.save();
  }

  /** `extra.sagemaker` (plan, artifacts, shard sizes). */
  get sagemaker(): Record<string, unknown> {
    this.manifest.extra ??= {};
    this.manifest.extra.sagemaker ??= {};
    return this.manifest.extra.sagemaker as Record<string, unknown>;
  }

  async save(): Promise<void> {
    await writeManifest(this.runDir, this.manifest, new Date(this.deps.clock.now()));
  }
}
