/** `digitflow share <file>`: upload under the run's S3 prefix (if not there) and print a presigned GET URL. */
import type { Command } from 'commander';
import { createContext, saveResult } from '../context.js';
import { addExamples, outOption, paragraphs } from '../grammar.js';
import type { ShareResult } from '../../stages/share.js';
import { addRegionOption, s3ConfigFromCli } from './upload.js';
import { safeText } from '../safe-text.js';

export function renderShareText(r: ShareResult): string {
  return [
    r.url,
    `  ${r.uploaded ? 'uploaded to' : 'already at'} ${safeText(r.uri)} (${r.bytes} bytes)`,
    `  valid until ${r.expiresAt} (${r.expiresInSeconds} s from ${r.signedAt}); ` +
      `anyone with the link can download the file until then`,
  ].join('\n');
}

export function registerShare(program: Command): void {
  const cmd = program
    .command('share')
    .summary('upload a file to S3, print a presigned link')
    .description(
      paragraphs(
        "Uploads the file under its run's S3 prefix (s3://BUCKET/PREFIX/<run-id>/shared/<name>; " +
          'skipped when the same bytes are already there) and prints a presigned GET URL that works without ' +
          'AWS credentials until it expires.',
        'A file outside an uploaded run needs --bucket (and --prefix). The link lifetime is --expires: 30m, ' +
          '12h, 7d or seconds, at most 7d (604,800 s, the SigV4 limit; 7d exactly is accepted). ' +
          'The URL is signed at one captured instant and expires exactly that long after it.',
        'Credentials: the AWS SDK default chain. Custom endpoint: AWS_ENDPOINT_URL_S3.',
      ),
    )
    .argument('<file>', 'file to share, e.g. runs/<run-id>/report.html')
    .option('--expires <duration>', 'link lifetime: 30m, 12h, 7d (max) or seconds', '1d')
    .option('--bucket <name>', "S3 bucket (default: the run's)")
    .option('--prefix <prefix>', 'key prefix with --bucket', 'digitflow')
    .addOption(outOption('file', 'also save the result (URL, S3 URI, expiry) as JSON (what --json prints)'))
    .option('--force', 'replace an existing -o file');
  addRegionOption(cmd);
  addExamples(cmd, [
    ['digitflow share runs/<id>/report.html'],
    ['digitflow share runs/<id>/submission.csv --expires 7d', 'the longest a presigned URL can live'],
    ['digitflow share notes.html --bucket my-bucket --expires 12h'],
  ]);
  cmd.action(
    async (
      file: string,
      opts: { expires: string; bucket?: string; prefix: string; region?: string; out?: string; force?: boolean },
      command: Command,
    ) => {
      const ctx = createContext(command);
      const { parseExpiry } = await import('../../domain/share-expiry.js');
      const expiresInSeconds = parseExpiry(opts.expires);
      const { shareStage } = await import('../../stages/share.js'); // the AWS SDK loads on use
      const result = await shareStage(
        { file, expiresInSeconds, bucket: opts.bucket, prefix: opts.prefix, s3: s3ConfigFromCli(opts) },
        ctx.deps,
      );
      await saveResult(opts.out, result, opts.force);
      ctx.output(result, renderShareText);
    },
  );
}
