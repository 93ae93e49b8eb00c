/**
 * `cleanup RUN_DIR`: deletes what a run created that can be deleted (its S3 prefix, its models)
 * and lists the job records SageMaker keeps forever (training/transform jobs cannot be deleted).
 */
import type { RunManifest } from '../../domain/manifest.js';
import type { RunStorage } from '../../adapters/sagemaker/run-storage.js';
import type { SageMakerJobs } from '../../adapters/sagemaker/jobs.js';
import { RunRecorder } from '../../adapters/run-store.js';
import type { StageDeps } from '../../runtime/deps.js';

export interface CleanupPlanItem {
  kind: string;
  id: string;
  action: 'delete' | 'keep';
  why?: string;
}

export interface CleanupResult {
  runId: string;
  deleted: { kind: string; id: string; objects?: number; alreadyGone?: boolean }[];
  /** --dry-run: exactly what a real cleanup would delete (objects counted by listing the prefix). */
  wouldDelete: { kind: string; id: string; objects?: number }[];
  kept: { kind: string; id: string; why: string }[];
  dryRun: boolean;
}

/** What cleanup would do, for the confirmation prompt. */
export function cleanupPlan(manifest: RunManifest): CleanupPlanItem[] {
  return manifest.resources.map((r) =>
    r.deletable
      ? { kind: r.kind, id: r.id, action: 'delete' as const }
      : {
          kind: r.kind,
          id: r.id,
          action: 'keep' as const,
          why: 'SageMaker job records cannot be deleted (they cost nothing once finished)',
        },
  );
}

/** Deletes the deletable resources. `sagemaker`/`storage` may be absent when the run made none. */
export async function cleanupStage(
  input: {
    manifest: RunManifest;
    dryRun?: boolean;
    /** When given, the updated manifest is saved there. */ runDir?: string;
  },
  deps: StageDeps & { sagemaker?: SageMakerJobs; storage?: RunStorage },
): Promise<CleanupResult> {
  const result: CleanupResult = {
    runId: input.manifest.runId,
    deleted: [],
    wouldDelete: [],
    kept: [],
    dryRun: Boolean(input.dryRun),
  };
  for (const item of cleanupPlan(input.manifest)) {
    if (item.action === 'keep') {
      result.kept.push({ kind: item.kind, id: item.id, why: item.why! });
      continue;
    }
    if (input.dryRun) {
      // Listing is free and says exactly what would go; without S3 access the prefix is still named.
      let objects: number | undefined;
      if (item.kind === 's3-prefix' && deps.storage)
        objects = await deps.storage.listKeys(item.id).then(
          (k) => k.length,
          () => undefined,
        );
      result.wouldDelete.push({ kind: item.kind, id: item.id, objects });
      continue;
    }
    if (item.kind === 's3-prefix' && deps.storage) {
      deps.reporter.emit({ kind: 'step', step: 'cleanup', message: `deleting ${item.id}` });
      const objects = await deps.storage.deletePrefix(item.id);
      result.deleted.push({ kind: item.kind, id: item.id, objects });
    } else if (item.kind === 'model' && deps.sagemaker) {
      deps.reporter.emit({ kind: 'step', step: 'cleanup', message: `deleting model ${item.id}` });
      const outcome = await deps.sagemaker.deleteModel(item.id);
      result.deleted.push({ kind: item.kind, id: item.id, ...(outcome === 'gone' ? { alreadyGone: true } : {}) });
    }
  }
  if (!input.dryRun && result.deleted.length > 0) {
    // The manifest keeps only what still exists; what was deleted is remembered in `cleanup`.
    const gone = new Set(result.deleted.map((d) => `${d.kind} ${d.id}`));
    input.manifest.resources = input.manifest.resources.filter((r) => !gone.has(`${r.kind} ${r.id}`));
    input.manifest.cleanup = [
      ...(input.manifest.cleanup ?? []),
      { at: new Date(deps.clock.now()).toISOString(), deleted: result.deleted },
    ];
    if (input.runDir) await new RunRecorder(input.runDir, input.manifest, deps.clock).save();
  }
  return result;
}
