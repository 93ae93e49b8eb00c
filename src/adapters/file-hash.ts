/** sha256 of files and buffers, streamed so large inputs need constant memory. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { assertReadableFile } from './byte-source.js';
import { findWorkerScript, runThreadTask } from './thread-task.js';

/**
 * Hashes a regular file (a device, FIFO or folder is a NOT_A_FILE error: /dev/zero would never
 * end). Reads exactly the size it had when opened, so a file that keeps growing still ends.
 */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const size = await assertReadableFile(path);
  const hash = createHash('sha256');
  if (size > 0) {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, start: 0, end: size - 1 }))
      hash.update(chunk as Buffer);
  }
  return { sha256: hash.digest('hex'), bytes: size };
}

export function sha256Bytes(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha256File on a worker thread, for a core that would otherwise be idle (run: the test file is
 * hashed while the model trains). The same result and errors; in-thread when the built worker
 * script is missing.
 */
export async function sha256FileThreaded(path: string): Promise<{ sha256: string; bytes: number }> {
  const script = findWorkerScript([
    new URL('./file-hash-worker.js', import.meta.url),
    new URL('../../dist/adapters/file-hash-worker.js', import.meta.url),
  ]);
  if (!script) return sha256File(path);
  return runThreadTask<{ sha256: string; bytes: number }>(script, { path }, {});
}
