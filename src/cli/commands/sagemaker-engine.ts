/**
 * The `--engine sagemaker` half of `train`, `predict` and `run`: flags, env (region, endpoints),
 * clients, the Ctrl-C question, and rendering. The work is in src/stages/sagemaker-*.ts.
 */
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { createContext, type CliContext } from '../context.js';
import { parseInteger } from '../options.js';
import { InterruptedError, UserInputError } from '../../errors/index.js';
import { buildRunPlan, renderPlanText, type PlanInput } from '../../domain/sagemaker-plan.js';
import { newManifest } from '../../domain/manifest.js';
import { gitSha, MANIFEST_FILE, newRunId, readManifest, runtimeVersions } from '../../adapters/run-store.js';
import { fileExists } from '../../adapters/atomic-file.js';
import type { SageMakerDeps } from '../../stages/sagemaker-deps.js';
import type { SageMakerRunResult } from '../../stages/sagemaker-run.js';

type Opts = Record<string, unknown>;

/** Adds `flags` unless the command already has that long flag (train/run share some with local). */
function addOnce(command: Command, option: Option): void {
  if (!command.options.some((o) => o.long === option.long)) command.addOption(option);
}

/** Flags every sagemaker command shares. */
function addCommon(command: Command): void {
  addOnce(command, new Option('--region <region>', '[sagemaker] AWS region (default: AWS_REGION)'));
  addOnce(command, new Option('--poll-seconds <n>', '[sagemaker] seconds between status checks').argParser(parseInteger('--poll-seconds', 1, 3600)).default(30));
  addOnce(command, new Option('--logs', '[sagemaker] stream the job\'s CloudWatch logs'));
}

/** Adds the SageMaker-only flags (--bucket, --role, --region, --instance-type, ...) to `train`/`run`. */
export function addSageMakerTrainOptions(command: Command): Command {
  addOnce(command, new Option('--bucket <bucket>', '[sagemaker] S3 bucket for data, model and outputs'));
  addOnce(command, new Option('--role <arn>', '[sagemaker] IAM role ARN SageMaker assumes'));
  addOnce(command, new Option('--prefix <prefix>', '[sagemaker] key prefix in the bucket').default('digitflow'));
  addOnce(command, new Option('--instance-type <type>', '[sagemaker] ml.* instance type').default('ml.m5.large'));
  addOnce(command, new Option('--instance-count <n>', '[sagemaker] instances for training and test transform').argParser(parseInteger('--instance-count', 1, 100)).default(1));
  addOnce(command, new Option('--spot', '[sagemaker] managed spot training'));
  addOnce(command, new Option('--max-runtime <seconds>', '[sagemaker] training stopping condition').argParser(parseInteger('--max-runtime', 60, 432000)).default(3600));
  addOnce(command, new Option('--max-wait <seconds>', '[sagemaker] spot only: max wait incl. runtime (default 2 x max runtime)').argParser(parseInteger('--max-wait', 60, 432000)));
  addOnce(command, new Option('--epochs <n>', 'training epochs').argParser(parseInteger('--epochs', 1, 1000)));
  addOnce(command, new Option('--mini-batch-size <n>', '[sagemaker] Linear Learner mini_batch_size').argParser(parseInteger('--mini-batch-size', 1, 1_000_000)));
  addOnce(command, new Option('--dry-run', '[sagemaker] print the plan (names, S3 layout, cost estimate) and create nothing'));
  addCommon(command);
  return command;
}

/** Adds the SageMaker-only flags to `predict`. */
export function addSageMakerPredictOptions(command: Command): Command {
  addOnce(command, new Option('--labels <file>', '[sagemaker] answer key ImageId,Label: also writes metrics.json'));
  addCommon(command);
  return command;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined);

function regionOf(opts: Opts): string {
  const region = str(opts.region) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new UserInputError('REGION_REQUIRED', 'no AWS region for the sagemaker engine', {
      hint: 'pass --region (e.g. --region us-east-1) or set AWS_REGION',
    });
  }
  return region;
}

function required(opts: Opts, key: string, flag: string, example: string): string {
  const v = str(opts[key]);
  if (!v) throw new UserInputError('FLAG_REQUIRED', `--engine sagemaker needs ${flag}`, { hint: `e.g. ${flag} ${example}` });
  return v;
}

function planInputOf(opts: Opts, runId: string, validation: boolean): PlanInput {
  return {
    runId,
    region: regionOf(opts),
    bucket: required(opts, 'bucket', '--bucket', 'my-ml-bucket'),
    prefix: str(opts.prefix) ?? 'digitflow',
    roleArn: required(opts, 'role', '--role', 'arn:aws:iam::123456789012:role/SageMakerExecutionRole'),
    instanceType: str(opts.instanceType) ?? 'ml.m5.large',
    instanceCount: num(opts.instanceCount) ?? 1,
    spot: Boolean(opts.spot),
    maxRuntimeSeconds: num(opts.maxRuntime) ?? 3600,
    maxWaitSeconds: num(opts.maxWait),
    numClasses: num(opts.numClasses) ?? 10,
    hyperparameters: { epochs: num(opts.epochs), mini_batch_size: num(opts.miniBatchSize) ?? num(opts.batchSize) },
    validation,
  };
}

/** Clients from flags + the AWS endpoint env vars (read here, never in stages). */
async function sagemakerDeps(ctx: CliContext, region: string): Promise<SageMakerDeps> {
  // The AWS SDK is loaded only when a cloud command runs.
  const { cloudDeps } = await import('../cloud-deps.js');
  return {
    ...cloudDeps(ctx.deps, region),
    onInterrupt: async (jobs) => {
      // Only a person at a terminal can answer; scripts and CI detach (the job keeps running).
      if (!process.stdin.isTTY || !process.stderr.isTTY) return 'detach';
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`\n${jobs.map((j) => j.name).join(', ')} still running. [s]top the job(s) or [d]etach? (d) `);
        return /^s/i.test(answer.trim()) ? 'stop' : 'detach';
      } finally {
        rl.close();
      }
    },
  };
}

const waitOf = (opts: Opts) => ({ pollSeconds: num(opts.pollSeconds) ?? 30, logs: Boolean(opts.logs) });

async function runDirOf(opts: Opts, ctx: CliContext): Promise<{ runDir: string; runId: string }> {
  const out = str(opts.out) ?? str(opts.runDir);
  if (out) return { runDir: resolve(out), runId: basename(resolve(out)) };
  const runsDir = resolve(str(opts.runsDir) ?? 'runs');
  const runId = await newRunId(runsDir, new Date(ctx.deps.clock.now()), 'sagemaker');
  return { runDir: join(runsDir, runId), runId };
}

/**
 * Same defaults as the local engine: no --train/--test means <data-dir>/train.csv and test.csv,
 * prepared from the bundled digits when missing, and test_labels.csv as the answer key if present.
 */
async function resolveInputs(opts: Opts, command: 'train' | 'run', ctx: CliContext): Promise<{ trainFile: string; testFile?: string; labelsFile?: string }> {
  // Loaded on use: it brings the prepare stage (sources, zip reader), which most commands never need.
  const { resolveRunData } = await import('../../stages/default-data.js');
  const d = await resolveRunData(
    { train: str(opts.train), test: str(opts.test), labels: str(opts.labels), dataDir: str(opts.dataDir) ?? 'data', seed: ctx.globals.seed, needTest: command === 'run' },
    ctx.deps,
  );
  return { trainFile: d.train, testFile: d.test, labelsFile: d.labels };
}

async function trainOrRun(opts: Opts, cmd: Command, command: 'train' | 'run'): Promise<void> {
  const ctx = createContext(cmd);
  const { runDir, runId } = await runDirOf(opts, ctx);
  const validationFraction = num(opts.validationFraction) ?? 0.1;
  const planInput = planInputOf(opts, runId, validationFraction > 0);
  if (opts.dryRun) {
    const plan = buildRunPlan(planInput);
    ctx.output({ dryRun: true, runDir, plan }, (r) => `${renderPlanText(r.plan)}\n(dry run: nothing was created)`);
    return;
  }
  if (await fileExists(join(runDir, MANIFEST_FILE))) {
    if (!opts.force) throw new UserInputError('OUTPUT_EXISTS', `${runDir} already holds a run`, { hint: 'choose another --out (job names come from it), or pass --force' });
    // SageMaker job names can never be reused: a forced rerun in the same folder gets a new id.
    planInput.runId = `${runId}-${Math.floor(ctx.deps.clock.now() / 1000).toString(36)}`;
  }
  const inputs = await resolveInputs(opts, command, ctx);
  const { trainFile, testFile } = inputs;
  const deps = await sagemakerDeps(ctx, planInput.region);
  const { ManifestRecorder } = await import('../../stages/sagemaker-deps.js');
  const { sagemakerRunStage } = await import('../../stages/sagemaker-run.js');
  const manifest = newManifest({ runId: planInput.runId, command, engine: 'sagemaker', seed: ctx.globals.seed, now: new Date(ctx.deps.clock.now()), versions: runtimeVersions(), model: 'linear-learner' });
  manifest.gitSha = gitSha();
  const rec = new ManifestRecorder(runDir, manifest, deps);
  const result = await sagemakerRunStage(
    { planInput, trainFile, testFile, labelsFile: inputs.labelsFile, validationFraction, seed: ctx.globals.seed, transform: command === 'run', wait: waitOf(opts) },
    rec,
    deps,
  ).catch((e) => Promise.reject(withAttachHint(e, runDir)));
  ctx.output(result, renderResult);
}

/** `train --engine sagemaker`. `opts` are the parsed options of the command. */
export async function trainWithSageMaker(opts: Record<string, unknown>, cmd: Command): Promise<void> {
  await trainOrRun(opts, cmd, 'train');
}

/** `run --engine sagemaker`. */
export async function runWithSageMaker(opts: Record<string, unknown>, cmd: Command): Promise<void> {
  await trainOrRun(opts, cmd, 'run');
}

/** `predict --engine sagemaker --run RUN_DIR`. */
export async function predictWithSageMaker(opts: Record<string, unknown>, cmd: Command): Promise<void> {
  const ctx = createContext(cmd);
  const runDir = resolve(required(opts, 'run', '--run', 'runs/<run-id>'));
  const manifest = await readManifest(runDir);
  const region = str(opts.region) ?? ((manifest.extra?.sagemaker as { planInput?: { region?: string } } | undefined)?.planInput?.region) ?? regionOf(opts);
  const deps = await sagemakerDeps(ctx, region);
  const { ManifestRecorder } = await import('../../stages/sagemaker-deps.js');
  const { sagemakerPredictStage } = await import('../../stages/sagemaker-predict.js');
  const rec = new ManifestRecorder(runDir, manifest, deps);
  // predict's --test has a local default; only an explicit --test uploads a new test set.
  const testGiven = cmd.getOptionValueSource('test') === 'cli';
  const result = await sagemakerPredictStage({ testFile: testGiven ? str(opts.test) : undefined, labelsFile: str(opts.labels), wait: waitOf(opts) }, rec, deps).catch((e) =>
    Promise.reject(withAttachHint(e, runDir)),
  );
  ctx.output(result, renderResult);
}

/** A detach names the exact command that resumes this run (with its run directory). */
function withAttachHint(e: unknown, runDir: string): unknown {
  if (!(e instanceof InterruptedError)) return e;
  const jobs = e.details?.jobs as string[] | undefined;
  if (!jobs || e.details?.decision !== 'detach') return e;
  const cmds = jobs.map((j) => `digitflow attach ${j} --run ${runDir}`);
  return new InterruptedError(e.message, { hint: `reattach with: ${cmds.join('  |  ')}`, details: { ...e.details, attach: cmds } });
}

/** Text form of a managed run result. */
export function renderResult(r: SageMakerRunResult): string {
  const lines = [`run ${r.runId} (sagemaker) -> ${r.runDir}`];
  if (r.trainingJob) lines.push(`  training job   ${r.trainingJob}`);
  if (r.model) lines.push(`  model          ${r.model}  ${r.modelDataUrl ?? ''}`);
  for (const j of r.transformJobs) lines.push(`  transform job  ${j}`);
  for (const [k, v] of Object.entries(r.outputs)) lines.push(`  ${k.padEnd(24)} ${v}`);
  if (r.validationMetrics?.accuracy !== undefined) lines.push(`  validation accuracy ${r.validationMetrics.accuracy.toFixed(4)}`);
  if (r.metrics?.accuracy !== undefined) lines.push(`  test accuracy  ${r.metrics.accuracy.toFixed(4)}`);
  lines.push(`  billable       ${r.billableSeconds}s${r.costEstimate ? `  ~$${r.costEstimate.usd.toFixed(2)} (estimate)` : ''}`);
  lines.push(`  cleanup with   digitflow cleanup ${r.runDir}`);
  return lines.join('\n');
}
