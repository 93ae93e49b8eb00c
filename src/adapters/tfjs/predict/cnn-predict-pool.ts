/**
 * CNN prediction on two cores. The wasm backend is single-threaded in Node, and a CNN forward pass
 * is compute-bound (28,000 test digits: ~8.8 s on one thread here), so each chunk of rows is cut
 * at the model's own 512-row boundaries and the second half goes to a worker thread holding the
 * same model. Every 512-row piece is computed by the same code on the same backend whichever
 * thread runs it, so the probabilities are identical to one-thread prediction (test).
 * The worker starts with the first chunk large enough to split; until it is ready, and for small
 * inputs, the main thread does all the work.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PIXELS } from '../../../domain/dataset.js';
import type { BackendName } from '../runtime/backend.js';
import type { CnnPredictWorkerData } from './cnn-predict-worker.js';
import { LocalModel, type ProbabilityModel } from '../model/local-model.js';

function workerScript(): URL | undefined {
  const candidates = [
    new URL('./cnn-predict-worker.js', import.meta.url),
    new URL('../../../../dist/adapters/tfjs/predict/cnn-predict-worker.js', import.meta.url),
  ];
  return candidates.find((u) => existsSync(fileURLToPath(u)));
}

let live = 0;

/** Predict worker threads started and not yet exited. */
export function liveCnnPredictWorkers(): number {
  return live;
}

type Reply = { id?: number; probs?: Float32Array; error?: string; ready?: boolean };

export class TwoThreadCnnPredictor implements ProbabilityModel {
  private worker?: Worker;
  private ready = false;
  private failed?: Error;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly model: LocalModel,
    private readonly modelDir: string,
    private readonly backend: BackendName,
  ) {}

  get numClasses(): number {
    return this.model.numClasses;
  }

  private start(): void {
    const script = workerScript();
    if (!script) {
      this.failed = new Error('the predict worker script is not built');
      return;
    }
    const data: CnnPredictWorkerData = { backend: this.backend, modelDir: this.modelDir };
    const w = new Worker(script, { workerData: data });
    live++;
    this.worker = w;
    const fail = (e: Error) => {
      this.failed ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('message', (m: Reply) => {
      if (m.ready) this.ready = true;
      else if (m.id === undefined) fail(new Error(`CNN predict worker failed to start: ${m.error}`));
      else {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(`CNN predict worker failed: ${m.error}`));
        else p?.resolve(m.probs!);
      }
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      live--;
      fail(new Error(`CNN predict worker exited (code ${code})`));
    });
  }

  /** Starts the worker now and waits until it has loaded the model; false if it cannot run. */
  async warm(): Promise<boolean> {
    if (!this.worker && !this.failed) this.start();
    while (!this.ready && !this.failed) await new Promise((r) => setTimeout(r, 10));
    return this.ready && !this.failed;
  }

  private remote(pixels: Uint8Array, rows: number): Promise<Float32Array> {
    const id = this.nextId++;
    const copy = pixels.slice(); // its own buffer, transferred
    const p = new Promise<Float32Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker!.postMessage({ id, pixels: copy, rows }, [copy.buffer]);
    return p;
  }

  async predictProbabilities(pixels: Uint8Array, rows: number): Promise<Float32Array> {
    const piece = LocalModel.CHUNK_ROWS;
    const pieces = Math.ceil(rows / piece);
    if (pieces >= 2 && !this.worker && !this.failed) this.start();
    if (pieces < 2 || !this.ready || this.failed) return this.model.predictProbabilities(pixels, rows);
    // First half of the pieces here, the rest on the worker, at the 512-row boundaries.
    const split = Math.ceil(pieces / 2) * piece;
    const rest = pixels.subarray(split * PIXELS, rows * PIXELS);
    const theirs = this.remote(rest, rows - split);
    theirs.catch(() => undefined); // awaited below
    const mine = await this.model.predictProbabilities(pixels.subarray(0, split * PIXELS), split);
    // A worker that fails costs speed, not the prediction: its half is computed here instead.
    const other = await theirs.catch(() => this.model.predictProbabilities(rest, rows - split));
    const k = this.numClasses;
    const out = new Float32Array(rows * k);
    out.set(mine, 0);
    out.set(other, split * k);
    return out;
  }

  dispose(): void {
    this.model.dispose();
    void this.close();
  }

  private closing?: Promise<void>;

  /** Stops the worker thread (resolves once it has exited; the same promise on every call). */
  close(): Promise<void> {
    if (!this.closing) {
      const w = this.worker;
      this.worker = undefined;
      this.closing = w
        ? new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            // terminate() settles on 'exit' too, also for a worker that had already exited.
            void w.terminate().then(
              () => resolve(),
              () => resolve(),
            );
          })
        : Promise.resolve();
    }
    return this.closing;
  }
}
