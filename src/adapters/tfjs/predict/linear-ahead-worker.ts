/**
 * Worker-thread entry of LinearPredictionAhead (linear-ahead.ts): holds the test rows it is sent,
 * and scores and formats them (the same functions the main thread's predict uses) under the
 * latest folded weights it was offered, one chunk per turn of its event loop so newer weights
 * are seen between chunks. On `finish` it makes sure every chunk is done under the final
 * weights and posts them all back, buffers transferred.
 */
import { parentPort } from 'node:worker_threads';
import { scoreRows10, scoreRowsGeneric } from './linear-rows.js';
import { formatProbabilityRows } from './probability-csv.js';

/** Messages to the worker. */
export type AheadRequest =
  | { kind: 'rows'; pixels: Uint8Array; rows: number; firstRow: number }
  | { kind: 'end' }
  | { kind: 'weights'; kernel: Float32Array; bias: Float32Array }
  | { kind: 'finish'; kernel: Float32Array; bias: Float32Array };

/** A chunk scored and formatted: its probabilities and its CSV rows (ImageIds from firstRow + 1). */
export interface AheadChunk {
  firstRow: number;
  rows: number;
  probabilities: Float32Array;
  csv: Uint8Array;
}

/** Messages from the worker. */
export type AheadReply = { kind: 'done'; chunks: AheadChunk[] } | { kind: 'error'; message: string };

const port = parentPort!;
const held: { pixels: Uint8Array; rows: number; firstRow: number }[] = [];
let weights: { kernel: Float32Array; bias: Float32Array } | undefined;
let done: (AheadChunk | undefined)[] = [];
let ended = false;
let finishing = false;
let scheduled = false;

const sameWeights = (a: { kernel: Float32Array; bias: Float32Array }, k: Float32Array, b: Float32Array) =>
  Buffer.from(a.kernel.buffer, a.kernel.byteOffset, a.kernel.byteLength).equals(
    Buffer.from(k.buffer, k.byteOffset, k.byteLength),
  ) &&
  Buffer.from(a.bias.buffer, a.bias.byteOffset, a.bias.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

function setWeights(kernel: Float32Array, bias: Float32Array): void {
  if (weights && sameWeights(weights, kernel, bias)) return;
  weights = { kernel, bias };
  done = [];
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(work);
}

function work(): void {
  scheduled = false;
  if (!weights) return;
  const i = held.findIndex((_, k) => done[k] === undefined);
  if (i >= 0) {
    const { pixels, rows, firstRow } = held[i];
    const K = weights.bias.length;
    const probabilities =
      K === 10
        ? scoreRows10(weights.kernel, weights.bias, pixels, rows)
        : scoreRowsGeneric(weights.kernel, weights.bias, K, pixels, rows);
    // Non-finite probabilities are refused by the main thread before anything is written.
    const finite = probabilities.every((p) => p >= 0 && p <= 1);
    const csv = finite
      ? new Uint8Array(formatProbabilityRows(probabilities, rows, K, firstRow + 1))
      : new Uint8Array(0);
    done[i] = { firstRow, rows, probabilities, csv };
    schedule();
    return;
  }
  if (finishing && ended) {
    const chunks = done as AheadChunk[];
    const transfer = chunks.flatMap((c) => [c.probabilities.buffer as ArrayBuffer, c.csv.buffer as ArrayBuffer]);
    port.postMessage({ kind: 'done', chunks } satisfies AheadReply, [...new Set(transfer)]);
    finishing = false;
  }
}

port.on('message', (m: AheadRequest) => {
  try {
    if (m.kind === 'rows') held.push({ pixels: m.pixels, rows: m.rows, firstRow: m.firstRow });
    else if (m.kind === 'end') ended = true;
    else if (m.kind === 'weights') setWeights(m.kernel, m.bias);
    else {
      setWeights(m.kernel, m.bias);
      finishing = true;
    }
    schedule();
  } catch (e) {
    port.postMessage({ kind: 'error', message: String((e as Error)?.stack ?? e) } satisfies AheadReply);
  }
});
