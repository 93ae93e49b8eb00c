/** `digitflow attach JOB_NAME`: wait again for a SageMaker job after a detach (Ctrl-C, closed terminal). */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { createContext } from '../context.js';
import { parseInteger } from '../options.js';
import { readManifest } from '../../adapters/run-store.js';
import type { AttachResult } from '../../stages/sagemaker/attach.js';
import { regionFor } from './cleanup.js';
import { addExamples, addHiddenAlias, outOption } from '../grammar.js';

export function registerAttach(program: Command): void {
  const command = program
    .command('attach')
    .summary('wait again for a SageMaker job after a detach')
    .description(
      'Wait again for a SageMaker training or transform job after Ctrl-C, a detach or a closed terminal. ' +
        'With the run folder the job belongs to, the result is recorded there (and the model is created after ' +
        'training).',
    )
    .argument('<job>', 'job name, e.g. digitflow-train-20261126-133045-sagemaker')
    .addOption(
      outOption('run', 'the run folder the job belongs to: records the result, creates the model after training'),
    )
    .option('--region <region>', "AWS region (default: the run's, or AWS_REGION)")
    .addOption(
      new Option('--poll-seconds <n>', 'seconds between status checks')
        .argParser(parseInteger('--poll-seconds', 1, 3600))
        .default(30),
    )
    .option('--logs', "stream the job's CloudWatch logs");
  addHiddenAlias(command, '--run <run>', 'out');
  addExamples(command, [
    ['digitflow attach digitflow-train-20261126-133045-sagemaker -o runs/20261126-133045-sagemaker'],
    ['digitflow attach digitflow-tf-20261126-133045-sagemaker --logs'],
  ]);
  command.action(
    async (job: string, opts: { out?: string; region?: string; pollSeconds: number; logs?: boolean }, cmd: Command) => {
      const ctx = createContext(cmd);
      const { attachStage } = await import('../../stages/sagemaker/attach.js');
      const { cloudDeps } = await import('../cloud-deps.js');
      const manifest = opts.out ? await readManifest(resolve(opts.out)) : undefined;
      const region = regionFor(opts.region, manifest);
      const deps = cloudDeps(ctx.deps, region, { logs: Boolean(opts.logs) });
      const wait = { pollSeconds: opts.pollSeconds, logs: Boolean(opts.logs) };
      const result = await attachStage({ job, region, runDir: opts.out ? resolve(opts.out) : undefined, wait }, deps);
      ctx.output(result, renderAttach);
    },
  );
}

function renderAttach(r: AttachResult): string {
  const lines = [
    `${r.kind} job ${r.job}: ${r.status} after ${Math.round(r.elapsedSeconds)}s watched` +
      (r.billableSeconds !== undefined ? `, ${r.billableSeconds}s billable` : ''),
  ];
  if (r.tuning) {
    if (r.tuning.progress) lines.push(`trials: ${r.tuning.progress}`);
    if (r.tuning.best)
      lines.push(
        `best trial ${r.tuning.best.trainingJob}: ${r.tuning.best.objective ?? '—'} ` +
          'validation:multiclass_accuracy  ' +
          Object.entries(r.tuning.best.tuned)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
      );
  }
  if (r.model && r.outputs) lines.push(`model ${r.model} (best trial) scored below`);
  else if (r.model)
    lines.push(`model ${r.model} ready (${r.modelDataUrl}); next: digitflow predict <run> --engine sagemaker`);
  else if (r.modelDataUrl) lines.push(`model artifact: ${r.modelDataUrl}`);
  if (r.transformOutput && !r.outputs) {
    const out = r.transformOutput.replace(/\/?$/, '/');
    lines.push(`output under ${out} (one <input file>.out per input file)`);
    lines.push(
      `next: digitflow download ${out} -o transform-out && digitflow argmax transform-out/<input file>.out ` +
        `-o submission.csv`,
    );
  }
  for (const [k, v] of Object.entries(r.outputs ?? {})) lines.push(`  ${k.padEnd(24)} ${v}`);
  if (r.validationMetrics?.accuracy !== undefined)
    lines.push(`  validation accuracy ${r.validationMetrics.accuracy.toFixed(4)}`);
  if (r.metrics?.accuracy !== undefined) lines.push(`  test accuracy ${r.metrics.accuracy.toFixed(4)}`);
  return lines.join('\n');
}
