/** `digitflow upload`: Kaggle CSVs -> Linear Learner CSVs in S3, recorded in a run manifest. */
import { type Command, Option } from 'commander';
import { join } from 'node:path';
import { createContext } from '../context.js';
import { addExamples, addHiddenAlias, addRequiredOption, outOption, paragraphs } from '../grammar.js';
import { parseFloatIn, parseInteger } from '../options.js';
import type { UploadStageResult } from '../../stages/upload.js';
import type { S3Config } from '../../adapters/s3/client.js';

/**
 * S3 settings from flags and the environment (the CLI is the only layer that reads env):
 * region from --region or AWS_REGION (else the SDK's profile lookup); a custom endpoint from
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. Credentials always come from the SDK's default chain.
 */
export function s3ConfigFromCli(opts: { region?: string }, env: NodeJS.ProcessEnv = process.env): S3Config {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  return { region: opts.region || env.AWS_REGION || undefined, endpoint };
}

/** Adds `--region` (shared by upload and download). */
export function addRegionOption(command: Command): Command {
  return command.addOption(
    new Option('--region <region>', 'AWS region of the bucket (default: AWS_REGION or the profile)'),
  );
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function renderUploadText(r: UploadStageResult): string {
  const lines = [`run ${r.runId}  (manifest: ${join(r.runDir, 'manifest.json')})`];
  const order = { train: 0, validation: 1, test: 2 };
  const files = [...r.uploaded, ...r.skipped].sort(
    (a, b) => order[a.channel] - order[b.channel] || a.uri.localeCompare(b.uri),
  );
  const w = Math.max(...files.map((f) => f.uri.length));
  for (const f of files) {
    const how = f.skipped ? 'unchanged, skipped' : `uploaded at ${f.mbPerSecond} MB/s`;
    lines.push(
      `  ${f.channel.padEnd(10)} ${f.uri.padEnd(w)}  ${String(f.rows).padStart(6)} rows  ` +
        `${mb(f.bytes).padStart(9)}  ${how}`,
    );
  }
  if (r.trainRows !== undefined)
    lines.push(
      `held out ${r.validationRows.length} validation rows (train ${r.trainRows}); row ids are in the manifest`,
    );
  if (r.uris.test) lines.push(`batch transform input: ${r.uris.test} (${r.uris.testKeys?.length ?? 0} test object(s))`);
  if (r.staleDeleted.length)
    lines.push(`deleted ${r.staleDeleted.length} stale object(s) of an earlier upload, e.g. ${r.staleDeleted[0]}`);
  lines.push(
    `next: digitflow run --engine sagemaker --out ${r.runDir} --bucket <bucket> --role <arn>   (reuses these objects)`,
  );
  return lines.join('\n');
}

export function registerUpload(program: Command): void {
  const cmd = program
    .command('upload')
    .summary('Kaggle CSVs → Linear Learner CSVs in S3')
    .description(
      paragraphs(
        'Convert Kaggle CSVs to what SageMaker Linear Learner reads (no header, label first, text/csv; ' +
          'test as headerless features, optionally in N shards) ' +
          'and upload them to s3://BUCKET/PREFIX/<run-id>/data/{train,validation,transform-input}/, ' +
          'recorded in a run folder: the layout `run --engine sagemaker -o <run>` continues (objects already ' +
          'there are not re-sent). A re-upload leaves exactly the objects it reports.',
        'The validation rows are the same seeded split the local engine uses (--seed, ' +
          '--validation-fraction). Files already in S3 with the same size and sha256 are skipped.',
        'Credentials: the AWS SDK default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, ' +
          'instance roles). Custom endpoint: AWS_ENDPOINT_URL_S3.',
      ),
    );
  addRequiredOption(cmd, new Option('--bucket <name>', 'S3 bucket (must exist)'));
  cmd
    .option('--prefix <prefix>', 'key prefix inside the bucket', 'digitflow')
    .option('--train <file>', 'Kaggle train CSV (label,pixel0..pixel783; .csv, .csv.gz or .zip)')
    .option('--test <file>', 'Kaggle test CSV (pixel0..pixel783)')
    .option(
      '--validation-fraction <f>',
      'share of train rows held out for validation',
      parseFloatIn('--validation-fraction', 0, 1, { exclusiveMax: true }),
      0.1,
    )
    .option('--run-id <id>', 'run id (default: a new one from the clock)')
    .addOption(outOption('run', 'run folder to record the upload in (an existing one is added to)', 'runs/<run-id>'))
    .option(
      '--shards <n>',
      'split the test features into N objects for an N-instance batch transform',
      parseInteger('--shards', 1, 1000),
      1,
    );
  addHiddenAlias(cmd, '--run <run>', 'out');
  addExamples(cmd, [
    ['digitflow upload --bucket my-bucket --train data/train.csv --test data/test.csv'],
    ['digitflow upload --bucket my-bucket --test data/test.csv --shards 4 -o runs/<id>'],
  ]);
  addRegionOption(cmd).action(
    async (
      opts: {
        bucket: string;
        prefix?: string;
        train?: string;
        test?: string;
        validationFraction: number;
        runId?: string;
        out?: string;
        shards: number;
        region?: string;
      },
      command: Command,
    ) => {
      const ctx = createContext(command);
      const { uploadStage } = await import('../../stages/upload.js'); // the AWS SDK loads on use
      const result = await uploadStage(
        {
          bucket: opts.bucket,
          prefix: opts.prefix,
          train: opts.train,
          test: opts.test,
          validationFraction: opts.validationFraction,
          seed: ctx.globals.seed,
          runId: opts.runId,
          runDir: opts.out,
          shards: opts.shards,
          s3: s3ConfigFromCli(opts),
        },
        ctx.deps,
      );
      ctx.output(result, renderUploadText);
    },
  );
}
