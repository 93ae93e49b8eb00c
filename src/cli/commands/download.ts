/** `digitflow download s3://B/KEY_OR_PREFIX [-o DIR]`. */
import type { Command } from 'commander';
import { relative } from 'node:path';
import { createContext } from '../context.js';
import type { DownloadStageResult } from '../../stages/download.js';
import { addRegionOption, s3ConfigFromCli } from './upload.js';
import { addExamples, addHiddenAlias, outOption, paragraphs } from '../grammar.js';

export function renderDownloadText(r: DownloadStageResult): string {
  const lines = r.files.map(
    (f) =>
      `  ${relative('.', f.path) || f.path}  ${(f.bytes / 1e6).toFixed(1)} MB` +
      (f.unchanged ? '  unchanged (same sha256), kept' : f.verified ? '  sha256 verified' : ''),
  );
  const kept = r.files.filter((f) => f.unchanged).length;
  lines.unshift(
    `downloaded ${r.files.length - kept} file(s), ${(r.bytes / 1e6).toFixed(1)} MB from ${r.uri} in ` +
      `${r.seconds.toFixed(1)} s` +
      (kept ? `; ${kept} already up to date` : ''),
  );
  return lines.join('\n');
}

export function registerDownload(program: Command): void {
  const cmd = program
    .command('download')
    .summary('S3 objects (a key or a prefix) into a local folder')
    .description(
      paragraphs(
        'Stream one S3 object, or every object under a prefix, into a local folder. Keys containing `..`, ' +
          'absolute paths or anything that would land outside the folder are refused before anything is ' +
          'written; files appear only when complete (and sha256-checked when digitflow uploaded them).',
        'A local file that already matches an object digitflow uploaded (same size and sha256) is kept: ' +
          'no transfer, no --force needed.',
      ),
    )
    .argument('<uri>', 's3://BUCKET/KEY or s3://BUCKET/PREFIX/')
    .addOption(outOption('dir', 'folder to write into', 'the current folder'))
    .option('--force', 'replace existing files that differ');
  addHiddenAlias(cmd, '--output-dir <dir>', 'out');
  addHiddenAlias(cmd, '--output <dir>', 'out');
  addExamples(cmd, [
    ['digitflow download s3://my-bucket/digitflow/<run-id>/data/ -o data/s3'],
    ['digitflow download s3://my-bucket/digitflow/<run-id>/output/test/test.csv.out -o transform-out'],
  ]);
  addRegionOption(cmd).action(
    async (uri: string, opts: { out?: string; force?: boolean; region?: string }, command: Command) => {
      const ctx = createContext(command);
      const { downloadStage } = await import('../../stages/download.js'); // the AWS SDK loads on use
      const result = await downloadStage(
        { uri, outDir: opts.out ?? '.', force: opts.force, s3: s3ConfigFromCli(opts) },
        ctx.deps,
      );
      ctx.output(result, renderDownloadText);
    },
  );
}
