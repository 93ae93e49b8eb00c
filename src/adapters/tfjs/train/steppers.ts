/**
 * The softmax-regression step of the one-layer linear model (registry stepper
 * 'softmax-regression'); every other model takes the gradient stepper (gradient-stepper.ts, tfjs
 * autodiff on one or more threads). `trainLoop` owns shuffling, epochs, early stopping and
 * reporting; a stepper only owns the weights' update, which the shared Adam (optimizer.ts) makes.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { adam } from './optimizer.js';
import type { Stepper, TrainArrays, TrainLoopOptions } from './train-options.js';
import { scaleShift } from '../model/model-inputs.js';
import { requireTfjs } from '../runtime/tfjs-modules.js';

const tf = requireTfjs();

/** Non-zero pixels of each row (CSR): row r's entries are start[r] .. start[r + 1] - 1. */
interface SparseRows {
  start: Uint32Array;
  col: Uint16Array;
  val: Uint8Array;
}

/** Whether this machine stores the low byte of a Uint32 first (the word paths below assume it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The non-zero pixels of `rows` rows of `features` raw pixels (MNIST digits are ~80% zeros). With
 * `indices`, row r is row indices[r] of `pixels` (the training rows of a split, read in place: no
 * copy of the selected pixels, whose fresh pages cost more than the copy itself).
 */
export function sparseRows(
  pixels: Uint8Array,
  rows: number,
  features: number,
  indices?: ArrayLike<number>,
): SparseRows {
  // Four pixels at a time where the layout allows: most 4-pixel words of a digit are background.
  const words =
    LITTLE_ENDIAN && pixels.byteOffset % 4 === 0 && features % 4 === 0
      ? new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.length >> 2)
      : undefined;
  if (!words) return sparseRowsBytes(pixels, rows, features, indices);
  const start = new Uint32Array(rows + 1);
  const fw = features >> 2;
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    const w0 = (indices ? indices[r] : r) * fw;
    for (let w = w0, end = w0 + fw; w < end; w++) {
      let x = words[w];
      if (x === 0) continue;
      // One bit per non-zero byte, then their count: no branch per pixel.
      x |= x >>> 4;
      x |= x >>> 2;
      x |= x >>> 1;
      nnz += Math.imul(x & 0x01010101, 0x01010101) >>> 24;
    }
    start[r + 1] = nnz;
  }
  // Each non-zero word writes all four of its pixels and advances past the non-zero ones: the
  // arrays have three spare slots for the last word's trailing zeros.
  const col = new Uint16Array(nnz + 3);
  const val = new Uint8Array(nnz + 3);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    const w0 = (indices ? indices[r] : r) * fw;
    for (let w = w0, end = w0 + fw; w < end; w++) {
      const x = words[w];
      if (x === 0) continue;
      const j = (w - w0) << 2;
      let v = x & 255;
      col[p] = j;
      val[p] = v;
      p += (v + 255) >> 8;
      v = (x >>> 8) & 255;
      col[p] = j + 1;
      val[p] = v;
      p += (v + 255) >> 8;
      v = (x >>> 16) & 255;
      col[p] = j + 2;
      val[p] = v;
      p += (v + 255) >> 8;
      v = x >>> 24;
      col[p] = j + 3;
      val[p] = v;
      p += (v + 255) >> 8;
    }
  }
  return { start, col: col.subarray(0, nnz), val: val.subarray(0, nnz) };
}

/** sparseRows a byte at a time: any layout, and the reference the word path is tested against. */
export function sparseRowsBytes(
  pixels: Uint8Array,
  rows: number,
  features: number,
  indices?: ArrayLike<number>,
): SparseRows {
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    const o = (indices ? indices[r] : r) * features;
    for (let j = 0; j < features; j++) if (pixels[o + j] !== 0) nnz++;
  }
  const start = new Uint32Array(rows + 1);
  const col = new Uint16Array(nnz);
  const val = new Uint8Array(nnz);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    const o = (indices ? indices[r] : r) * features;
    for (let j = 0; j < features; j++) {
      const v = pixels[o + j];
      if (v !== 0) {
        col[p] = j;
        val[p++] = v;
      }
    }
    start[r + 1] = p;
  }
  return { start, col, val };
}

// Ten classes (digits), unrolled: the running sums stay in registers (~2x the generic loop).
function forward10(
  z: Float64Array,
  c: Float64Array,
  V: Float32Array,
  col: Uint16Array,
  val: Uint8Array,
  p0: number,
  p1: number,
): void {
  let z0 = c[0],
    z1 = c[1],
    z2 = c[2],
    z3 = c[3],
    z4 = c[4],
    z5 = c[5],
    z6 = c[6],
    z7 = c[7],
    z8 = c[8],
    z9 = c[9];
  for (let p = p0; p < p1; p++) {
    const o = col[p] * 10;
    const v = val[p];
    z0 += v * V[o];
    z1 += v * V[o + 1];
    z2 += v * V[o + 2];
    z3 += v * V[o + 3];
    z4 += v * V[o + 4];
    z5 += v * V[o + 5];
    z6 += v * V[o + 6];
    z7 += v * V[o + 7];
    z8 += v * V[o + 8];
    z9 += v * V[o + 9];
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
}

function backward10(
  gW: Float32Array,
  g: Float64Array,
  col: Uint16Array,
  val: Uint8Array,
  p0: number,
  p1: number,
): void {
  const g0 = g[0],
    g1 = g[1],
    g2 = g[2],
    g3 = g[3],
    g4 = g[4],
    g5 = g[5],
    g6 = g[6],
    g7 = g[7],
    g8 = g[8],
    g9 = g[9];
  for (let p = p0; p < p1; p++) {
    const o = col[p] * 10;
    const v = val[p];
    gW[o] += v * g0;
    gW[o + 1] += v * g1;
    gW[o + 2] += v * g2;
    gW[o + 3] += v * g3;
    gW[o + 4] += v * g4;
    gW[o + 5] += v * g5;
    gW[o + 6] += v * g6;
    gW[o + 7] += v * g7;
    gW[o + 8] += v * g8;
    gW[o + 9] += v * g9;
  }
}

/**
 * Softmax regression in JS on the raw pixels' non-zeros. The model's weights W, b act on
 * standardised pixels x' = x * scale + shift; per step they are folded onto raw pixels
 * (V = scale ∘ W, c = b + shift · W), so a row costs (its non-zero pixels) x classes
 * multiply-adds forward and as many backward, about a fifth of a dense product, with no batch
 * to assemble and no tensor to upload. The gradient goes back to W's space exactly:
 * dW = scale ∘ (X_raw^T G) + shift ⊗ (1^T G). The shared Adam (optimizer.ts) updates the flat
 * [W, b]; the same maths as tfjs autodiff (differential test in test/unit/tfjs-train.test.ts).
 */
export function linearStepper(model: LayersModel, opts: Pick<TrainLoopOptions, 'l2'>, train: TrainArrays): Stepper {
  if (!train.pixels || !train.normalization)
    throw new Error('the softmax-regression stepper needs the raw pixels and their normalisation');
  const [wT, bT] = model.getWeights();
  const [F, K] = wT.shape;
  const params = new Float32Array(F * K + K); // [W (F x K), b (K)]
  params.set(wT.dataSync() as Float32Array, 0);
  params.set(bT.dataSync() as Float32Array, F * K);
  const W = params.subarray(0, F * K);
  const b = params.subarray(F * K);
  const grad = new Float32Array(params.length);
  const gW = grad.subarray(0, F * K);
  const gb = grad.subarray(F * K);
  const optimizer = adam(params.length);
  const parts = [{ grad, weight: 1 }];
  const { scale, shift } = scaleShift(train.normalization);
  const { start, col, val } = sparseRows(train.pixels, train.rows, F, train.pixelRows);
  const labels = train.labels;
  const V = new Float32Array(F * K);
  const c = new Float64Array(K);
  const z = new Float64Array(K);
  const g = new Float64Array(K);
  const l2 = opts.l2;
  return {
    threads: 1,
    step() {
      throw new Error('the softmax-regression stepper takes row indices (stepRows)');
    },
    stepRows(rows, lr) {
      const n = rows.length;
      c.set(b);
      for (let j = 0; j < F; j++) {
        const s = scale[j];
        const h = shift[j];
        const o = j * K;
        for (let k = 0; k < K; k++) {
          V[o + k] = W[o + k] * s;
          c[k] += h * W[o + k];
        }
      }
      gW.fill(0);
      gb.fill(0);
      let loss = 0;
      let hits = 0;
      for (let i = 0; i < n; i++) {
        const r = rows[i];
        const p0 = start[r];
        const p1 = start[r + 1];
        if (K === 10) forward10(z, c, V, col, val, p0, p1);
        else {
          z.set(c);
          for (let p = p0; p < p1; p++) {
            const o = col[p] * K;
            const v = val[p];
            for (let k = 0; k < K; k++) z[k] += v * V[o + k];
          }
        }
        let max = -Infinity;
        let arg = 0;
        for (let k = 0; k < K; k++) if (z[k] > max) max = z[(arg = k)];
        let sum = 0;
        for (let k = 0; k < K; k++) sum += g[k] = Math.exp(z[k] - max);
        const label = labels[r];
        loss += Math.log(sum) - (z[label] - max);
        if (arg === label) hits++;
        // dL/dlogits = (p - onehot) / n
        for (let k = 0; k < K; k++) {
          const d = (g[k] / sum - (k === label ? 1 : 0)) / n;
          g[k] = d;
          gb[k] += d;
        }
        if (K === 10) backward10(gW, g, col, val, p0, p1);
        else {
          for (let p = p0; p < p1; p++) {
            const o = col[p] * K;
            const v = val[p];
            for (let k = 0; k < K; k++) gW[o + k] += v * g[k];
          }
        }
      }
      let l2sum = 0;
      for (let j = 0; j < F; j++) {
        const s = scale[j];
        const h = shift[j];
        const o = j * K;
        for (let k = 0; k < K; k++) {
          const w = W[o + k];
          gW[o + k] = gW[o + k] * s + h * gb[k] + 2 * l2 * w;
          l2sum += w * w;
        }
      }
      optimizer.applyGradients(params, parts, lr);
      return { loss: loss / n + l2 * l2sum, hits };
    },
    sync() {
      const w = tf.tensor2d(W, [F, K]);
      const bias = tf.tensor1d(b);
      model.setWeights([w, bias]); // copies into the model's own variables
      tf.dispose([w, bias]);
    },
    dispose() {
      // wT and bT are the model's variables: not ours to dispose
    },
  };
}
