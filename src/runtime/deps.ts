/**
 * What every stage receives instead of reaching for `process`, the console or the wall clock.
 * The CLI builds one of these per invocation; tests build their own. It sits below stages and
 * adapters (adapters report progress through the same Reporter), and imports nothing.
 */

/** One thing a stage wants the user to know while it works. Rendered as text, a bar, or JSON. */
export type ProgressEvent =
  | { kind: 'step'; step: string; message: string }
  | { kind: 'info'; message: string; data?: Record<string, unknown> }
  | { kind: 'warn'; code: string; message: string; data?: Record<string, unknown> }
  | {
      kind: 'progress';
      /** Stable task id, e.g. "read:train.csv", "upload:train". */
      task: string;
      label: string;
      done: number;
      total?: number;
      unit: 'rows' | 'bytes' | 'examples' | 'epochs' | 'seconds';
      /** Free-form extras shown next to the bar (loss, accuracy, MB/s, ETA...). */
      info?: Record<string, string | number>;
    }
  | { kind: 'progress-end'; task: string }
  | {
      kind: 'epoch';
      epoch: number;
      epochs: number;
      loss: number;
      accuracy: number;
      valLoss?: number;
      valAccuracy?: number;
      examplesPerSecond: number;
      etaSeconds: number;
    }
  | { kind: 'status'; resource: string; status: string; secondary?: string; elapsedSeconds?: number }
  | { kind: 'log'; source: string; message: string };

export interface Reporter {
  emit(event: ProgressEvent): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface StageDeps {
  reporter: Reporter;
  clock: Clock;
  /** Aborted on Ctrl-C; long stages check it and stop cleanly. */
  signal?: AbortSignal;
}

/** A reporter that drops everything (library use, tests). */
export const silentReporter: Reporter = { emit: () => undefined };

/** Collects events in memory (tests, notebooks). */
export function collectingReporter(): Reporter & { events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  return { events, emit: (e) => void events.push(e) };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Default deps for library callers (notebooks): silent, real clock. */
export function defaultDeps(partial: Partial<StageDeps> = {}): StageDeps {
  return { reporter: silentReporter, clock: systemClock, ...partial };
}
