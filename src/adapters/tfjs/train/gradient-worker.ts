/**
 * Worker-thread entry of the data-parallel gradient stepper (see gradient-stepper.ts). It owns its own
 * tfjs engine and wasm backend (with our kernels registered through selectBackend) and a copy of
 * the model, built from its registry entry. For each `{ n }` message it reads the current weights
 * and its slice of the batch from shared memory, writes the gradients of that slice back to shared memory, and replies
 * `{ loss, hits }`. For each `{ adam }` message it applies its range of the step's Adam update to the
 * shared weights (the main thread and the other workers do the other ranges at the same time).
 * Errors are replied as `{ error }` so the main thread can fail the step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../runtime/backend.js';
import { MODEL_SPECS, type LocalModelKind } from '../model/model-specs.js';
import type { GradOptions } from './grad-program.js';
import { trainingGradProgram } from './direct-program.js';
import { adamRange, type AdamConfig } from './optimizer.js';

/** What the main thread passes to each worker at start-up. */
export interface CnnWorkerData {
  backend: BackendName;
  /** The registry entry of the model being trained. */
  kind: LocalModelKind;
  numClasses: number;
  seed: number;
  /** The model's dropout rate (models.ts), so the worker builds the main thread's model. */
  dropout: number;
  grad: GradOptions;
  /** Shared buffers: current weights (read), this worker's gradients (written), its inputs. */
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  /** Expected flat size, to catch a model built differently from the main thread's. */
  total: number;
  /** Rows of one warm-up gradient at start-up (the slice size; 0 = none). */
  warmupRows: number;
  /** Adam's shared moments and every thread's gradients (slice order: the main thread's first). */
  adam: { m: SharedArrayBuffer; v: SharedArrayBuffer; grads: SharedArrayBuffer[]; config: Required<AdamConfig> };
}

/**
 * One step's work for a worker: the gradients of its `n` rows, which sit at `offset` in the whole
 * batch, with the dropout masks of step `step` (none when undefined).
 */
export interface GradientRequest {
  n: number;
  step?: number;
  offset: number;
}

/**
 * This worker's range [lo, hi) of Adam step `t`: the gradient is the sum of weight x the gradients
 * of thread `index` (0 = the main thread), in the order given.
 */
export interface AdamRequest {
  adam: { lr: number; t: number; lo: number; hi: number; parts: { index: number; weight: number }[] };
}

async function main(): Promise<void> {
  const data = workerData as CnnWorkerData;
  const port = parentPort!;
  try {
    await selectBackend(data.backend);
    const model = await MODEL_SPECS[data.kind].build(data.numClasses, data.seed, data.dropout);
    const program = trainingGradProgram(model, data.grad);
    if (program.layout.total !== data.total)
      throw new Error(`worker model has ${program.layout.total} weights, expected ${data.total}`);
    const params = new Float32Array(data.params);
    const grads = new Float32Array(data.grads);
    const x = new Float32Array(data.x);
    const y = new Int32Array(data.y);
    // The first calls of a fresh engine are 2-3x slower (JIT, kernel set-up): pay that at start-up,
    // on zeros, so it does not slow the first training steps. Start-up is not training time.
    const features = data.grad.inputShape.reduce((a, b) => a * b, 1);
    const n = data.warmupRows;
    for (let i = 0; n > 0 && i < 2; i++) program.gradients(new Float32Array(n * features), new Int32Array(n), n, grads);
    const moments = { m: new Float32Array(data.adam.m), v: new Float32Array(data.adam.v) };
    const threadGrads = data.adam.grads.map((b) => new Float32Array(b));
    port.on('message', (msg: GradientRequest | AdamRequest) => {
      try {
        if ('adam' in msg) {
          const { lr, t, lo, hi } = msg.adam;
          const parts = msg.adam.parts.map((p) => ({ grad: threadGrads[p.index], weight: p.weight }));
          adamRange({ params, parts, lr, t, moments, config: data.adam.config, lo, hi });
          port.postMessage({ loss: 0, hits: 0 });
          return;
        }
        program.setWeights(params);
        const noise = msg.step === undefined ? undefined : { step: msg.step, offset: msg.offset };
        port.postMessage(program.gradients(x, y, msg.n, grads, noise));
      } catch (e) {
        port.postMessage({ error: String((e as Error)?.stack ?? e) });
      }
    });
    port.postMessage({ ready: true });
  } catch (e) {
    port.postMessage({ error: String((e as Error)?.stack ?? e) });
  }
}

void main();
