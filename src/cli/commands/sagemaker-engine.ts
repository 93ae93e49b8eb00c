/**
 * The `--engine sagemaker` half of `train`, `predict` and `run`: flags, env (region, endpoints),
 * the Ctrl-C question, and rendering. The work is in src/stages/sagemaker/.
 */
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { createContext, type CliContext } from '../context.js';
import { parseInteger } from '../options.js';
import { InterruptedError, UserInputError } from '../../errors/index.js';
import { renderPlanText, DEFAULT_TRANSFORM_INSTANCE_TYPE } from '../../domain/sagemaker-plan.js';
import {
  parseHyperparameterFlags,
  checkHyperparameter,
  SHARED_FLAG_TO_HYPERPARAMETER,
} from '../../domain/linear-learner-hyperparameters.js';
import { newRunId, readManifest } from '../../adapters/run-store.js';
import type { SageMakerDeps } from '../../stages/sagemaker/deps.js';
import type { SageMakerDryRunResult, SageMakerRunResult, PlanSettings } from '../../stages/sagemaker/run.js';

type Opts = Record<string, unknown>;

/** Adds `flags` unless the command already has that long flag (train/run share some with local). */
function addOnce(command: Command, option: Option): void {
  if (!command.options.some((o) => o.long === option.long)) command.addOption(option);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Flags every sagemaker command shares. */
function addCommon(command: Command): void {
  addOnce(command, new Option('--region <region>', '[sagemaker] AWS region (default: AWS_REGION)'));
  addOnce(
    command,
    new Option('--poll-seconds <n>', '[sagemaker] seconds between status checks')
      .argParser(parseInteger('--poll-seconds', 1, 3600))
      .default(30),
  );
  addOnce(command, new Option('--logs', "[sagemaker] stream the job's CloudWatch logs"));
  addOnce(
    command,
    new Option(
      '--no-price-lookup',
      '[sagemaker] do not ask the AWS Price List API (pricing:GetProducts); estimate from the shipped dated table',
    ),
  );
}

/** Adds the SageMaker-only flags (--bucket, --role, --region, --instance-type, ...) to `train`/`run`. */
export function addSageMakerTrainOptions(command: Command): Command {
  addOnce(command, new Option('--bucket <name>', '[sagemaker] S3 bucket for data, model and outputs'));
  addOnce(command, new Option('--role <arn>', '[sagemaker] IAM role ARN SageMaker assumes'));
  addOnce(command, new Option('--prefix <prefix>', '[sagemaker] key prefix in the bucket').default('digitflow'));
  addOnce(
    command,
    new Option('--instance-type <type>', '[sagemaker] training instance type (CPU, or P2/P3/G4dn/G5 GPU)').default(
      'ml.m5.large',
    ),
  );
  addOnce(
    command,
    new Option('--instance-count <n>', '[sagemaker] training instances (the train channel is sharded over them)')
      .argParser(parseInteger('--instance-count', 1, 100))
      .default(1),
  );
  addOnce(
    command,
    new Option('--transform-instance-type <type>', '[sagemaker] batch transform instance type').default(
      DEFAULT_TRANSFORM_INSTANCE_TYPE,
    ),
  );
  addOnce(
    command,
    new Option('--transform-instance-count <n>', '[sagemaker] batch transform instances (one test shard each)')
      .argParser(parseInteger('--transform-instance-count', 1, 100))
      .default(1),
  );
  addOnce(
    command,
    new Option('--spot', "[sagemaker] managed spot training (with checkpoints under the run's S3 prefix)"),
  );
  addOnce(
    command,
    new Option('--max-runtime <seconds>', '[sagemaker] training stopping condition')
      .argParser(parseInteger('--max-runtime', 60, 432000))
      .default(3600),
  );
  addOnce(
    command,
    new Option(
      '--max-wait <seconds>',
      '[sagemaker] spot only: max wait incl. runtime (default 2 x max runtime)',
    ).argParser(parseInteger('--max-wait', 60, 432000)),
  );
  addOnce(command, new Option('--epochs <n>', 'training epochs').argParser(parseInteger('--epochs', 1, 1000)));
  addOnce(
    command,
    new Option('--mini-batch-size <n>', '[sagemaker] Linear Learner mini_batch_size (same as --batch-size)')
      .argParser(parseInteger('--mini-batch-size', 1, 1_000_000))
      .hideHelp(),
  );
  addOnce(
    command,
    new Option(
      '--hp <name=value>',
      '[sagemaker] any documented Linear Learner hyperparameter, repeatable (e.g. --hp optimizer=sgd)',
    ).argParser(collect),
  );
  addOnce(
    command,
    new Option(
      '--dry-run',
      '[sagemaker] check everything locally, print the plan (names, S3 layout, cost estimate), create nothing',
    ),
  );
  addCommon(command);
  return command;
}

/** Adds the SageMaker-only flags to `predict`. */
export function addSageMakerPredictOptions(command: Command): Command {
  addOnce(command, new Option('--labels <file>', '[sagemaker] answer key ImageId,Label: also writes metrics.json'));
  addCommon(command);
  return command;
}

/** Flags that mean nothing to the managed engine (local model, tfjs, threads). */
const LOCAL_ONLY = [
  'model',
  'backend',
  'patience',
  'workers',
  'chunkRows',
  'lrDecay',
  'lrSchedule',
  'augmentShift',
  'augmentRotate',
  'augmentZoom',
  'dropout',
  'ttaShift',
];
/** Flags that mean nothing to the local engine. */
const SAGEMAKER_ONLY = [
  'bucket',
  'role',
  'prefix',
  'instanceType',
  'instanceCount',
  'transformInstanceType',
  'transformInstanceCount',
  'spot',
  'maxRuntime',
  'maxWait',
  'miniBatchSize',
  'hp',
  'dryRun',
  'region',
  'pollSeconds',
  'logs',
  'priceLookup',
];

/**
 * A flag the user gave that the chosen engine would ignore → exit 2 naming it (no flag is silently
 * dropped). Called by train/run/predict for both engines.
 */
export function refuseFlagsForEngine(cmd: Command, engine: 'local' | 'sagemaker'): void {
  const names = engine === 'sagemaker' ? LOCAL_ONLY : SAGEMAKER_ONLY;
  for (const opt of cmd.options) {
    const key = opt.attributeName();
    if (!names.includes(key)) continue;
    const source = cmd.getOptionValueSource(key);
    if (source !== 'cli' && source !== 'env') continue;
    const hint =
      engine === 'sagemaker'
        ? key === 'patience'
          ? 'Linear Learner stops early by itself: set --hp early_stopping_patience=N instead'
          : 'the managed engine always trains Linear Learner on SageMaker; drop the flag, or use --engine local'
        : 'this flag belongs to --engine sagemaker; add --engine sagemaker, or drop it';
    throw new UserInputError('FLAG_NOT_APPLICABLE', `${opt.long} has no meaning for --engine ${engine}`, {
      hint,
      details: { flag: opt.long, engine },
    });
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined;

function regionOf(opts: Opts): string | undefined {
  return str(opts.region) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
}

function required(opts: Opts, key: string, flag: string, example: string): string {
  const v = str(opts[key]);
  if (!v)
    throw new UserInputError('FLAG_REQUIRED', `--engine sagemaker needs ${flag}`, { hint: `e.g. ${flag} ${example}` });
  return v;
}

/**
 * Linear Learner hyperparameters from the shared flags (--epochs → epochs, --batch-size →
 * mini_batch_size, --learning-rate → learning_rate, --l2 → wd) and every `--hp name=value`.
 * A name given both ways is refused rather than guessed.
 */
export function hyperparametersOf(opts: Opts): Record<string, string> {
  const hp = parseHyperparameterFlags((opts.hp as string[] | undefined) ?? []);
  const shared: [keyof typeof SHARED_FLAG_TO_HYPERPARAMETER, unknown][] = [
    ['--epochs', opts.epochs],
    ['--batch-size', opts.batchSize ?? opts.miniBatchSize],
    ['--learning-rate', opts.learningRate],
    ['--l2', opts.l2],
  ];
  if (opts.batchSize !== undefined && opts.miniBatchSize !== undefined && opts.batchSize !== opts.miniBatchSize) {
    throw new UserInputError(
      'FLAG_NOT_APPLICABLE',
      `--batch-size ${String(opts.batchSize)} and --mini-batch-size ${String(opts.miniBatchSize)} disagree`,
      { hint: 'give one of them' },
    );
  }
  for (const [flag, value] of shared) {
    if (value === undefined) continue;
    const name = SHARED_FLAG_TO_HYPERPARAMETER[flag];
    if (name in hp)
      throw new UserInputError('HYPERPARAMETER_INVALID', `${flag} and --hp ${name} both set ${name}`, {
        hint: 'give it once',
      });
    hp[name] = checkHyperparameter(name, String(value), flag);
  }
  return hp;
}

function planSettingsOf(opts: Opts): PlanSettings {
  return {
    region: regionOf(opts),
    bucket: required(opts, 'bucket', '--bucket', 'my-ml-bucket'),
    prefix: str(opts.prefix) ?? 'digitflow',
    roleArn: required(opts, 'role', '--role', 'arn:aws:iam::123456789012:role/SageMakerExecutionRole'),
    instanceType: str(opts.instanceType) ?? 'ml.m5.large',
    instanceCount: num(opts.instanceCount) ?? 1,
    transformInstanceType: str(opts.transformInstanceType) ?? DEFAULT_TRANSFORM_INSTANCE_TYPE,
    transformInstanceCount: num(opts.transformInstanceCount) ?? 1,
    spot: Boolean(opts.spot),
    maxRuntimeSeconds: num(opts.maxRuntime) ?? 3600,
    maxWaitSeconds: num(opts.maxWait),
    numClasses: num(opts.numClasses) ?? 10,
    hyperparameters: hyperparametersOf(opts),
  };
}

/** Adapters from flags + the AWS endpoint env vars (read here, never in stages). */
async function sagemakerDeps(ctx: CliContext, region: string, logs: boolean, opts: Opts): Promise<SageMakerDeps> {
  // The AWS SDK is loaded only when a cloud command runs.
  const { cloudDeps } = await import('../cloud-deps.js');
  return {
    ...cloudDeps(ctx.deps, region, { logs, prices: opts.priceLookup !== false }),
    onInterrupt: async (jobs) => {
      // Only a person at a terminal can answer; scripts and CI detach (the job keeps running).
      if (!process.stdin.isTTY || !process.stderr.isTTY) return 'detach';
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(
          `\n${jobs.map((j) => j.name).join(', ')} still running. [s]top the job(s) or [d]etach? (d) `,
        );
        return /^s/i.test(answer.trim()) ? 'stop' : 'detach';
      } finally {
        rl.close();
      }
    },
  };
}

const waitOf = (opts: Opts) => ({ pollSeconds: num(opts.pollSeconds) ?? 30, logs: Boolean(opts.logs) });

/**
 * Same defaults as the local engine: no --train/--test means <data-dir>/train.csv and test.csv,
 * prepared from the bundled digits when missing, and test_labels.csv as the answer key if present.
 */
async function resolveInputs(
  opts: Opts,
  command: 'train' | 'run',
  ctx: CliContext,
): Promise<{ trainFile: string; testFile?: string; labelsFile?: string }> {
  // Loaded on use: it brings the prepare stage (sources, zip reader), which most commands never need.
  const { resolveRunData } = await import('../../stages/default-data.js');
  const d = await resolveRunData(
    {
      train: str(opts.train),
      test: str(opts.test),
      labels: str(opts.labels),
      dataDir: str(opts.dataDir) ?? 'data',
      seed: ctx.globals.seed,
      needTest: command === 'run',
    },
    ctx.deps,
  );
  return { trainFile: d.train, testFile: d.test, labelsFile: d.labels };
}

async function trainOrRun(opts: Opts, cmd: Command, command: 'train' | 'run'): Promise<void> {
  const ctx = createContext(cmd);
  refuseFlagsForEngine(cmd, 'sagemaker');
  const plan = planSettingsOf(opts);
  const inputs = await resolveInputs(opts, command, ctx);
  const out = str(opts.out) ?? str(opts.runDir);
  const { sagemakerRunStage, sagemakerDryRunStage } = await import('../../stages/sagemaker/run.js');
  const base = {
    command,
    plan,
    force: Boolean(opts.force),
    trainFile: inputs.trainFile,
    testFile: inputs.testFile,
    labelsFile: inputs.labelsFile,
    validationFraction: num(opts.validationFraction) ?? 0.1,
    seed: ctx.globals.seed,
    wait: waitOf(opts),
  };
  if (opts.dryRun) {
    // Nothing is created: not even the run folder. The id is what a real run would get now.
    const runDir = out ? resolve(out) : join(resolve(str(opts.runsDir) ?? 'runs'), '<new-run-id>');
    const deps = plan.region ? await sagemakerDeps(ctx, plan.region, false, opts) : ctx.deps;
    const r = await sagemakerDryRunStage(
      { ...base, runDir, runId: out ? basename(resolve(out)) : 'dry-run', dryRun: true },
      deps,
    );
    ctx.output(r, renderDryRun);
    return;
  }
  let runDir: string;
  if (out) runDir = resolve(out);
  else {
    const runsDir = resolve(str(opts.runsDir) ?? 'runs');
    runDir = join(runsDir, await newRunId(runsDir, new Date(ctx.deps.clock.now()), 'sagemaker'));
  }
  const deps = await sagemakerDeps(ctx, plan.region ?? 'us-east-1', Boolean(opts.logs), opts);
  const result = await sagemakerRunStage({ ...base, runDir }, deps).catch((e) =>
    Promise.reject(withAttachHint(e, runDir)),
  );
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

/** The flags `tune --engine sagemaker` adds to the run's: search strategy, limits, ranges. */
export interface TuneFlags {
  strategy: 'Bayesian' | 'Random';
  maxJobs: number;
  maxParallel: number;
  ranges: string[];
}

/** `tune --engine sagemaker`: the run's flags, data defaults and pre-flight, then a tuning job. */
export async function tuneWithSageMaker<R, D>(
  opts: Opts,
  cmd: Command,
  tuning: TuneFlags,
  render: { result: (r: R) => string; dryRun: (r: D) => string },
): Promise<void> {
  const ctx = createContext(cmd);
  const plan = planSettingsOf(opts);
  const { parseTuningRanges } = await import('../../domain/linear-learner-tuning.js');
  const ranges = parseTuningRanges(tuning.ranges);
  const inputs = await resolveInputs(opts, 'run', ctx);
  const out = str(opts.out) ?? str(opts.runDir);
  const { sagemakerTuneStage, sagemakerTuneDryRunStage } = await import('../../stages/sagemaker/tune.js');
  const base = {
    plan,
    force: Boolean(opts.force),
    trainFile: inputs.trainFile,
    testFile: inputs.testFile,
    labelsFile: inputs.labelsFile,
    validationFraction: num(opts.validationFraction) ?? 0.1,
    seed: ctx.globals.seed,
    wait: waitOf(opts),
    tuning: { strategy: tuning.strategy, maxJobs: tuning.maxJobs, maxParallel: tuning.maxParallel, ranges },
  };
  if (opts.dryRun) {
    const runDir = out ? resolve(out) : join(resolve(str(opts.runsDir) ?? 'runs'), '<new-run-id>');
    const deps = plan.region ? await sagemakerDeps(ctx, plan.region, false, opts) : ctx.deps;
    const r = await sagemakerTuneDryRunStage(
      { ...base, runDir, runId: out ? basename(resolve(out)) : 'dry-run', dryRun: true },
      deps,
    );
    ctx.output(r as D, render.dryRun);
    return;
  }
  let runDir: string;
  if (out) runDir = resolve(out);
  else {
    const runsDir = resolve(str(opts.runsDir) ?? 'runs');
    runDir = join(runsDir, await newRunId(runsDir, new Date(ctx.deps.clock.now()), 'tune-sagemaker'));
  }
  const deps = await sagemakerDeps(ctx, plan.region ?? 'us-east-1', Boolean(opts.logs), opts);
  const result = await sagemakerTuneStage({ ...base, runDir }, deps).catch((e) =>
    Promise.reject(withAttachHint(e, runDir)),
  );
  ctx.output(result as R, render.result);
}

/** `predict RUN --engine sagemaker`. */
export async function predictWithSageMaker(
  opts: Record<string, unknown>,
  cmd: Command,
  runArg?: string,
): Promise<void> {
  const ctx = createContext(cmd);
  refuseFlagsForEngine(cmd, 'sagemaker');
  const runDir = resolve(runArg ?? required(opts, 'run', '--run', 'runs/<run-id>'));
  const manifest = await readManifest(runDir);
  const region = str(opts.region) ?? manifest.sagemaker?.planInput?.region ?? regionOf(opts);
  if (!region)
    throw new UserInputError('REGION_REQUIRED', 'no AWS region for the sagemaker engine', {
      hint: 'pass --region (e.g. --region us-east-1) or set AWS_REGION',
    });
  const deps = await sagemakerDeps(ctx, region, Boolean(opts.logs), opts);
  const { sagemakerPredictStage } = await import('../../stages/sagemaker/predict.js');
  // predict's --test has a local default; only an explicit --test uploads a new test set.
  const testGiven = cmd.getOptionValueSource('test') === 'cli';
  const result = await sagemakerPredictStage(
    { runDir, testFile: testGiven ? str(opts.test) : undefined, labelsFile: str(opts.labels), wait: waitOf(opts) },
    deps,
  ).catch((e) => Promise.reject(withAttachHint(e, runDir)));
  ctx.output(result, renderResult);
}

/** A detach names the exact command that resumes this run (with its run directory). */
function withAttachHint(e: unknown, runDir: string): unknown {
  if (!(e instanceof InterruptedError)) return e;
  const jobs = e.details?.jobs as string[] | undefined;
  if (!jobs || e.details?.decision !== 'detach') return e;
  const cmds = jobs.map((j) => `digitflow attach ${j} -o ${runDir}`);
  return new InterruptedError(e.message, {
    hint: `reattach with: ${cmds.join('  |  ')}`,
    details: { ...e.details, attach: cmds },
  });
}

/** Text form of `--dry-run`. */
export function renderDryRun(r: SageMakerDryRunResult): string {
  const lines = [renderPlanText(r.plan)];
  for (const f of r.checks.files)
    lines.push(`  checked          ${f.role} ${f.path}: ${f.rows} rows parse, Linear Learner CSV rules hold`);
  lines.push(`  region           ${r.checks.region}`);
  const { found, detail } = r.checks.credentials;
  lines.push(`  credentials      ${found ? 'found' : `not found${detail ? ` (${detail})` : ''}`}`);
  lines.push('(dry run: nothing was created, nothing was called that costs)');
  return lines.join('\n');
}

/** Text form of a managed run result. */
export function renderResult(r: SageMakerRunResult): string {
  const lines = [`run ${r.runId} (sagemaker) -> ${r.runDir}`];
  if (r.trainingJob) lines.push(`  training job   ${r.trainingJob}`);
  if (r.model) lines.push(`  model          ${r.model}  ${r.modelDataUrl ?? ''}`);
  for (const j of r.transformJobs) lines.push(`  transform job  ${j}`);
  for (const [k, v] of Object.entries(r.finalMetrics ?? {})) lines.push(`  ${k.padEnd(24)} ${v}`);
  for (const [k, v] of Object.entries(r.outputs)) lines.push(`  ${k.padEnd(24)} ${v}`);
  if (r.validationMetrics?.accuracy !== undefined)
    lines.push(`  validation accuracy ${r.validationMetrics.accuracy.toFixed(4)}`);
  if (r.metrics?.accuracy !== undefined) lines.push(`  test accuracy  ${r.metrics.accuracy.toFixed(4)}`);
  const src = r.costEstimate?.priceSource;
  const from =
    src?.source === 'price-list-api'
      ? `, AWS Price List API ${src.region} ${src.date}`
      : src?.source === 'shipped-table'
        ? `, shipped ${src.region} table of ${src.date}`
        : '';
  lines.push(
    `  billable       ` +
      `${r.billableSeconds}s${r.costEstimate ? `  ~$${r.costEstimate.usd.toFixed(2)} (estimate${from})` : ''}`,
  );
  lines.push(`  cleanup with   digitflow cleanup ${r.runDir}`);
  return lines.join('\n');
}
