/**
 * `cleanup RUN_DIR`: deletes what a run created that can be deleted (its S3 prefix, its models)
 * and lists the job records SageMaker keeps forever (training/transform jobs cannot be deleted).
 */
import { DeleteModelCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { RunManifest } from '../domain/manifest.js';
import type { RunStorage } from '../adapters/sagemaker/run-storage.js';
import { describeAwsError } from '../adapters/sagemaker/aws-error.js';
import type { StageDeps } from './deps.js';

export interface CleanupPlanItem {
  kind: string;
  id: string;
  action: 'delete' | 'keep';
  why?: string;
}

export interface CleanupResult {
  runId: string;
  deleted: { kind: string; id: string; objects?: number; alreadyGone?: boolean }[];
  kept: { kind: string; id: string; why: string }[];
  dryRun: boolean;
}

/** What cleanup would do, for the confirmation prompt. */
export function cleanupPlan(manifest: RunManifest): CleanupPlanItem[] {
  return manifest.resources.map((r) =>
    r.deletable
      ? { kind: r.kind, id: r.id, action: 'delete' as const }
      : { kind: r.kind, id: r.id, action: 'keep' as const, why: 'SageMaker job records cannot be deleted (they cost nothing once finished)' },
  );
}

/** Deletes the deletable resources. `sagemaker`/`storage` may be absent when the run made none. */
export async function cleanupStage(
  input: { manifest: RunManifest; dryRun?: boolean },
  deps: StageDeps & { sagemaker?: SageMakerClient; storage?: RunStorage },
): Promise<CleanupResult> {
  const result: CleanupResult = { runId: input.manifest.runId, deleted: [], kept: [], dryRun: Boolean(input.dryRun) };
  for (const item of cleanupPlan(input.manifest)) {
    if (item.action === 'keep') {
      result.kept.push({ kind: item.kind, id: item.id, why: item.why! });
      continue;
    }
    if (input.dryRun) continue;
    if (item.kind === 's3-prefix' && deps.storage) {
      deps.reporter.emit({ kind: 'step', step: 'cleanup', message: `deleting ${item.id}` });
      const objects = await deps.storage.deletePrefix(item.id);
      result.deleted.push({ kind: item.kind, id: item.id, objects });
    } else if (item.kind === 'model' && deps.sagemaker) {
      deps.reporter.emit({ kind: 'step', step: 'cleanup', message: `deleting model ${item.id}` });
      try {
        await deps.sagemaker.send(new DeleteModelCommand({ ModelName: item.id }));
        result.deleted.push({ kind: item.kind, id: item.id });
      } catch (e) {
        // Deleting twice is not an error: the goal (no model) is reached.
        if ((e as { name?: string }).name === 'ValidationException' && /could not find|does not exist/i.test(String((e as Error).message))) {
          result.deleted.push({ kind: item.kind, id: item.id, alreadyGone: true });
        } else throw describeAwsError(e, `DeleteModel ${item.id}`);
      }
    }
  }
  if (!input.dryRun && result.deleted.length > 0) {
    // The manifest keeps only what still exists; what was deleted is remembered under extra.
    const gone = new Set(result.deleted.map((d) => `${d.kind} ${d.id}`));
    input.manifest.resources = input.manifest.resources.filter((r) => !gone.has(`${r.kind} ${r.id}`));
    input.manifest.extra ??= {};
    const log = (input.manifest.extra.cleanup as unknown[] | undefined) ?? [];
    log.push({ at: new Date(deps.clock.now()).toISOString(), deleted: result.deleted });
    input.manifest.extra.cleanup = log;
  }
  return result;
}
