/**
 * s3rver as a child process on 127.0.0.1 with a free port. `--openssl-legacy-provider` is
 * required: s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only has there
 * (without it every truncated page is an HTTP 500).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3rverHandle {
  endpoint: string;
  port: number;
  dir: string;
  /** Kills the server (SIGKILL: as abrupt as a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** Stops the server and removes its data directory unless `keepDir`. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

/** s3rver's built-in credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Starts s3rver; `dir` reuses a data directory (restart after a kill), `port` asks for a port. */
export async function startS3rver(opts: { dir?: string; port?: number } = {}): Promise<S3rverHandle> {
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'digitflow-s3rver-')));
  const args = [
    '--openssl-legacy-provider',
    bin,
    '-d',
    dir,
    '-a',
    '127.0.0.1',
    '-p',
    String(opts.port ?? 0),
    '--no-vhost-buckets',
  ];
  const proc: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 15 s:\n${log}`)), 15_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /listening on ([\d.]+):(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[2]));
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code} before listening:\n${log}`));
    });
  });
  // Keep draining its output so a chatty server never blocks on a full pipe.
  proc.stdout?.resume();
  proc.stderr?.resume();
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    async stop(o = {}) {
      await kill();
      if (!o.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
