/**
 * Worker-thread entry for `tune --parallel K`: runs one trial (tune-trial.ts) with its own
 * TensorFlow.js instance, posting progress events and the result (see adapters/thread-task.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorToThread } from '../../adapters/thread-task.js';
import { systemClock, type ProgressEvent } from '../../runtime/deps.js';
import { runTrial, type TrialInput } from './tune-trial.js';

const port = parentPort!;
const controller = new AbortController();
port.on('message', (m: { kind?: string }) => {
  if (m?.kind === 'abort') controller.abort();
});
const deps = {
  reporter: { emit: (event: ProgressEvent) => port.postMessage({ kind: 'event', event }) },
  clock: systemClock,
  signal: controller.signal,
};
try {
  const result = await runTrial(workerData as TrialInput, deps);
  port.postMessage({ kind: 'done', result });
} catch (e) {
  port.postMessage(errorToThread(e));
}
port.close();
