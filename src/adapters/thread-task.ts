/**
 * Runs one task in a worker thread: the worker posts progress events and then its result or its
 * error; an abort of `signal` is passed on to the worker (which stops cleanly), never a kill.
 * Errors of digitflow's tree come back with their class, code, hint and details.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CloudError, InternalError, InterruptedError, UserInputError, errorCodeWithExit } from '../errors/index.js';

export type ThreadMessage<R> =
  | { kind: 'event'; event: unknown }
  | { kind: 'done'; result: R }
  | {
      kind: 'error';
      error: { name?: string; code?: string; message: string; hint?: string; details?: Record<string, unknown> };
    };

/** The first of `candidates` that exists on disk (the built .js next to the module, else under dist/). */
export function findWorkerScript(candidates: URL[]): URL | undefined {
  return candidates.find((u) => existsSync(fileURLToPath(u)));
}

/** An error posted by a worker, as the error class it was thrown as. */
export function errorFromThread(e: {
  name?: string;
  code?: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}): Error {
  const opts = { hint: e.hint, details: e.details };
  // Only registered codes of the class's exit code are rebuilt as that class; anything else stays a plain Error (a
  // bug).
  const user = errorCodeWithExit(e.code, 2);
  const cloud = errorCodeWithExit(e.code, 3);
  const internal = errorCodeWithExit(e.code, 1);
  if (user && e.name === 'UserInputError') return new UserInputError(user, e.message, opts);
  if (cloud && e.name === 'CloudError') return new CloudError(cloud, e.message, opts);
  if (e.name === 'InterruptedError') return new InterruptedError(e.message, opts);
  if (internal && e.name === 'InternalError') return new InternalError(internal, e.message, opts);
  return new Error(e.message);
}

/** Serialisable form of an error, for posting from a worker. */
export function errorToThread(e: unknown): ThreadMessage<never> {
  const err = e as { name?: string; code?: string; message?: string; hint?: string; details?: Record<string, unknown> };
  return {
    kind: 'error',
    error: {
      name: err?.name,
      code: err?.code,
      message: String(err?.message ?? e),
      hint: err?.hint,
      details: err?.details,
    },
  };
}

export function runThreadTask<R>(
  script: URL,
  data: unknown,
  opts: { onEvent?: (event: unknown) => void; signal?: AbortSignal },
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(script, { workerData: data });
    let settled = false;
    const onAbort = () => worker.postMessage({ kind: 'abort' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: ThreadMessage<R>) => {
      if (m.kind === 'event') opts.onEvent?.(m.event);
      else if (m.kind === 'done') finish(() => resolve(m.result));
      else if (m.kind === 'error') finish(() => reject(errorFromThread(m.error)));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) =>
      finish(() =>
        reject(new InternalError('THREAD_EXIT', `worker thread exited with code ${code} before it finished`)),
      ),
    );
  });
}
