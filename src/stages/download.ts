/** `download`: one S3 object, or every object under a prefix, streamed into a local folder. */
import { createS3Client, type S3Config } from '../adapters/s3/client.js';
import { downloadToDir, type DownloadResult } from '../adapters/s3/download.js';
import { parseS3Uri } from '../adapters/s3/uri.js';
import type { StageDeps } from './deps.js';
import { assertOutputFolder } from '../adapters/atomic-file.js';

export interface DownloadStageInput {
  uri: string;
  /** Target folder (default '.'). */
  outDir?: string;
  force?: boolean;
  s3: S3Config;
}

export interface DownloadStageResult {
  uri: string;
  outDir: string;
  mode: 'object' | 'prefix';
  files: DownloadResult[];
  bytes: number;
  seconds: number;
}

/** Downloads `uri` into `outDir`; refuses keys escaping it, never leaves a partial file. */
export async function downloadStage(input: DownloadStageInput, deps: StageDeps): Promise<DownloadStageResult> {
  parseS3Uri(input.uri); // a bad URI is a usage error before any client is built
  const outDir = input.outDir ?? '.';
  await assertOutputFolder(outDir);
  const client = createS3Client(input.s3);
  deps.reporter.emit({ kind: 'step', step: 'download', message: `downloading ${input.uri} to ${outDir}` });
  const r = await downloadToDir(client, input.uri, outDir, { force: input.force }, deps);
  return { uri: input.uri, outDir, ...r };
}
