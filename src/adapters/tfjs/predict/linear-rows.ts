/**
 * The linear scorer's row loops (LinearScorer, linear-scorer.ts): softmax probabilities of raw
 * 0..255 pixels under folded weights, in plain JS over each row's non-zero pixels. In a module of
 * their own, without TensorFlow.js, so a worker thread can run them without loading it
 * (linear-ahead-worker.ts).
 */
import { PIXELS } from '../../../domain/dataset.js';

/** The generic scorer (any class count), and the reference the ten-class loop is tested against. */
export function scoreRowsGeneric(
  W: Float32Array,
  bias: Float32Array,
  K: number,
  pixels: Uint8Array,
  rows: number,
): Float32Array {
  const out = new Float32Array(rows * K);
  const z = new Float64Array(K);
  for (let r = 0; r < rows; r++) {
    const o = r * PIXELS;
    for (let k = 0; k < K; k++) z[k] = bias[k];
    for (let j = 0; j < PIXELS; j++) {
      const v = pixels[o + j];
      if (v === 0) continue;
      const wj = j * K;
      for (let k = 0; k < K; k++) z[k] += v * W[wj + k];
    }
    softmaxInto(z, K, out, r * K);
  }
  return out;
}

function softmaxInto(z: Float64Array, K: number, out: Float32Array, at: number): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (z[k] > max) max = z[k];
  let sum = 0;
  for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k] - max);
  for (let k = 0; k < K; k++) out[at + k] = z[k] / sum;
}

/** scoreRowsGeneric for ten classes, unrolled; identical results (differential test). */
export function scoreRows10(W: Float32Array, bias: Float32Array, pixels: Uint8Array, rows: number): Float32Array {
  const out = new Float32Array(rows * 10);
  const z = new Float64Array(10);
  // Four background pixels at a time where the rows are 4-byte aligned (784 is a multiple of 4).
  const words =
    pixels.byteOffset % 4 === 0 ? new Uint32Array(pixels.buffer, pixels.byteOffset, (rows * PIXELS) >> 2) : undefined;
  for (let r = 0; r < rows; r++) {
    const o = r * PIXELS;
    let z0 = bias[0],
      z1 = bias[1],
      z2 = bias[2],
      z3 = bias[3],
      z4 = bias[4],
      z5 = bias[5],
      z6 = bias[6],
      z7 = bias[7],
      z8 = bias[8],
      z9 = bias[9];
    for (let j = 0; j < PIXELS; j++) {
      if (words && (j & 3) === 0 && words[(o + j) >> 2] === 0) {
        j += 3;
        continue;
      }
      const v = pixels[o + j];
      if (v === 0) continue;
      const w = j * 10;
      z0 += v * W[w];
      z1 += v * W[w + 1];
      z2 += v * W[w + 2];
      z3 += v * W[w + 3];
      z4 += v * W[w + 4];
      z5 += v * W[w + 5];
      z6 += v * W[w + 6];
      z7 += v * W[w + 7];
      z8 += v * W[w + 8];
      z9 += v * W[w + 9];
    }
    z[0] = z0;
    z[1] = z1;
    z[2] = z2;
    z[3] = z3;
    z[4] = z4;
    z[5] = z5;
    z[6] = z6;
    z[7] = z7;
    z[8] = z8;
    z[9] = z9;
    softmaxInto(z, 10, out, r * 10);
  }
  return out;
}
