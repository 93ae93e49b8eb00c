/**
 * Prediction of a linear model ahead of time, on the core that training leaves idle. `run` trains
 * on one thread; when the best epoch so far was not beaten by the next one (early stopping keeps
 * the best epoch and stops a few epochs after it), its folded weights are offered here, and a
 * worker thread scores and formats the test rows under them (linear-ahead-worker.ts). Waiting for
 * that one epoch keeps the work done for weights that are then replaced small (offering every new
 * best redid the 28,000 rows ~6 times a run). When training ends, `finish` with the final weights
 * returns every chunk: when they are the last offered ones (the usual case), most or all of the
 * work is already done; otherwise the worker redoes it under the final weights. Either way the
 * probabilities and CSV bytes are what the main thread's scorer and writer produce from those
 * weights: the same functions (linear-rows.ts, probability-csv.ts), the same inputs.
 * The test rows move to the worker (transferred, not copied) as they are parsed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AheadChunk, AheadReply, AheadRequest } from './linear-ahead-worker.js';

export type { AheadChunk } from './linear-ahead-worker.js';

function workerScript(): URL | undefined {
  const candidates = [
    new URL('./linear-ahead-worker.js', import.meta.url),
    new URL('../../../../dist/adapters/tfjs/predict/linear-ahead-worker.js', import.meta.url),
  ];
  return candidates.find((u) => existsSync(fileURLToPath(u)));
}

/** A chunk of test rows as the threaded CSV reader yields it. */
export interface AheadRows {
  pixels: Uint8Array;
  rows: number;
  firstRow: number;
}

/** Where the test rows come from (prefetchTestRows in run). */
export interface AheadRowSource {
  next(): Promise<IteratorResult<AheadRows>>;
  return(value?: undefined): Promise<unknown>;
}

let live = 0;

/** Ahead-prediction worker threads started and not yet exited. */
export function liveLinearAheadWorkers(): number {
  return live;
}

export class LinearPredictionAhead {
  private worker?: Worker;
  private failure?: { error: unknown };
  private pumping?: Promise<void>;
  private reply?: (m: AheadReply) => void;
  private closed = false;

  /** `source` is read once the worker starts (`start`, or the first offer). */
  constructor(private readonly source: AheadRowSource) {}

  /** Whether the worker script is built (otherwise `run` predicts after training, as before). */
  static available(): boolean {
    return workerScript() !== undefined;
  }

  /** Offers the folded weights of a new best epoch (copied: the caller may reuse its arrays). */
  offer(kernel: Float32Array, bias: Float32Array): void {
    if (this.closed) return;
    this.start();
    this.post({ kind: 'weights', kernel: kernel.slice(), bias: bias.slice() });
  }

  /**
   * Every test row's probabilities and CSV rows under the final folded weights, in file order.
   * Rejects with the row source's error (a bad row, an unreadable file) or the worker's.
   */
  async finish(kernel: Float32Array, bias: Float32Array): Promise<AheadChunk[]> {
    this.start();
    const replied = new Promise<AheadReply>((resolve) => (this.reply = resolve));
    await this.pumping;
    if (this.failure) throw this.failure.error;
    this.post({ kind: 'finish', kernel: kernel.slice(), bias: bias.slice() });
    const m = await replied;
    const failed = this.failed();
    if (failed) throw failed.error;
    if (m.kind === 'error') throw new Error(`linear prediction thread failed: ${m.message}`);
    return m.chunks;
  }

  /** Stops the worker and the row source. */
  async close(): Promise<void> {
    this.closed = true;
    await this.source.return(undefined).catch(() => undefined);
    await this.pumping?.catch(() => undefined);
    await this.worker?.terminate().catch(() => undefined);
    this.worker = undefined;
  }

  private failed(): { error: unknown } | undefined {
    return this.failure;
  }

  private post(m: AheadRequest, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(m, transfer);
  }

  /** Starts the worker and hands it the rows as they come (offer and finish start it too). */
  start(): void {
    if (this.worker || this.closed) return;
    const script = workerScript();
    if (!script) throw new Error('the linear prediction worker script is not built');
    const w = new Worker(script);
    live++;
    this.worker = w;
    const fail = (e: unknown) => {
      this.failure ??= { error: e };
      this.reply?.({ kind: 'error', message: String((e as Error)?.message ?? e) });
    };
    w.on('message', (m: AheadReply) => this.reply?.(m));
    w.on('error', fail);
    w.on('exit', (code) => {
      live--;
      if (!this.closed) fail(new Error(`linear prediction thread exited with code ${code}`));
    });
    // The rows go to the worker as they are parsed: transferred when a chunk owns its buffer.
    this.pumping = (async () => {
      try {
        for (;;) {
          const r = await this.source.next();
          if (this.closed) return;
          if (r.done) break;
          const { pixels, rows, firstRow } = r.value;
          const own =
            pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength && !isShared(pixels.buffer);
          const sent = own ? pixels : pixels.slice();
          this.post({ kind: 'rows', pixels: sent, rows, firstRow }, [sent.buffer as ArrayBuffer]);
        }
        this.post({ kind: 'end' });
      } catch (e) {
        this.failure ??= { error: e };
      }
    })();
  }
}

function isShared(b: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer;
}
