/** `digitflow cleanup RUN_DIR`: delete a run's S3 prefix and SageMaker models; list what cannot be deleted. */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption } from '../grammar.js';
import { UserInputError } from '../../errors/index.js';
import { readManifest } from '../../adapters/run-store.js';
import type { RunManifest } from '../../domain/manifest.js';
import type { CleanupResult } from '../../stages/sagemaker/cleanup.js';

/** Region from the flag, the run's plan, or AWS_REGION. */
export function regionFor(flag: string | undefined, manifest?: RunManifest): string {
  const fromRun = manifest?.sagemaker?.planInput?.region ?? manifest?.resources.find((r) => r.region)?.region;
  const region = flag ?? fromRun ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new UserInputError('REGION_REQUIRED', 'no AWS region', { hint: 'pass --region or set AWS_REGION' });
  return region;
}

export function registerCleanup(program: Command): void {
  const command = program
    .command('cleanup')
    .summary("delete a run's S3 data and SageMaker models")
    .description(
      "Delete a run's cloud resources (its S3 prefix and SageMaker models), after asking; " +
        'lists the training and transform job records that SageMaker keeps and nobody can delete.',
    )
    .argument('<run>', 'run folder (runs/<run-id>)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'only list what would be deleted')
    .option('--region <region>', "AWS region (default: the run's, else AWS_REGION)")
    .addOption(outOption('file', 'also save the result as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addExamples(command, [
    ['digitflow cleanup runs/<sagemaker-run> --dry-run'],
    ['digitflow cleanup runs/<sagemaker-run> --yes'],
  ]);
  command.action(
    async (
      runDir: string,
      opts: { yes?: boolean; dryRun?: boolean; region?: string; out?: string; force?: boolean },
      cmd: Command,
    ) => {
      const ctx = createContext(cmd);
      const { cleanupPlan, cleanupStage } = await import('../../stages/sagemaker/cleanup.js');
      const manifest = await readManifest(resolve(runDir));
      const plan = cleanupPlan(manifest);
      const toDelete = plan.filter((p) => p.action === 'delete');
      let dryRun = Boolean(opts.dryRun);
      if (toDelete.length > 0 && !dryRun && !opts.yes) {
        if (!process.stdin.isTTY || !process.stderr.isTTY) {
          throw new UserInputError(
            'CONFIRMATION_REQUIRED',
            `cleanup would delete ${toDelete.length} resource(s) and cannot ask here (not a terminal)`,
            {
              hint: 'pass --yes to delete without asking, or --dry-run to only list',
              details: { resources: toDelete.map((p) => p.id) },
            },
          );
        }
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        process.stderr.write(toDelete.map((p) => `  delete ${p.kind} ${p.id}`).join('\n') + '\n');
        const answer = await rl.question('Delete these? [y/N] ');
        rl.close();
        if (!/^y/i.test(answer.trim())) dryRun = true;
      }
      // A dry run lists the prefix too (free) when a region is known, so it can say how many objects would go.
      const region =
        toDelete.length > 0
          ? dryRun
            ? safeRegion(opts.region, manifest)
            : regionFor(opts.region, manifest)
          : undefined;
      const deps = region ? (await import('../cloud-deps.js')).cloudDeps(ctx.deps, region, { logs: false }) : ctx.deps;
      const result = await cleanupStage({ manifest, dryRun, runDir: resolve(runDir) }, deps);
      await saveResult(opts.out, result, opts.force);
      ctx.output(result, renderCleanup);
    },
  );
}

function safeRegion(flag: string | undefined, manifest: RunManifest): string | undefined {
  try {
    return regionFor(flag, manifest);
  } catch {
    return undefined;
  }
}

function renderCleanup(r: CleanupResult): string {
  const lines = [`cleanup of run ${r.runId}${r.dryRun ? ' (dry run: nothing deleted)' : ''}`];
  for (const d of r.wouldDelete)
    lines.push(`  would delete ${d.kind} ${d.id}${d.objects !== undefined ? ` (${d.objects} objects)` : ''}`);
  for (const d of r.deleted)
    lines.push(
      `  deleted ${d.kind} ` +
        `${d.id}${d.objects !== undefined ? ` (${d.objects} objects)` : ''}${d.alreadyGone ? ' (already gone)' : ''}`,
    );
  for (const k of r.kept) lines.push(`  kept    ${k.kind} ${k.id}: ${k.why}`);
  if (r.deleted.length === 0 && r.wouldDelete.length === 0 && r.kept.length === 0)
    lines.push('  the run created no cloud resources');
  return lines.join('\n');
}
