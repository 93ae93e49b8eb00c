/**
 * Worker-thread entry of `sha256FileThreaded` (file-hash.ts): hashes one file with sha256File and
 * posts the result (see thread-task.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorToThread } from './thread-task.js';
import { sha256File } from './file-hash.js';

const port = parentPort!;
try {
  port.postMessage({ kind: 'done', result: await sha256File((workerData as { path: string }).path) });
} catch (e) {
  port.postMessage(errorToThread(e));
}
port.close();
