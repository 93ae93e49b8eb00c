/**
 * LinearPredictionAhead scores and formats the test rows on a worker thread under the weights it
 * is offered while training runs. Differential test against the main thread's scorer and writer
 * (scoreRows10 / scoreRowsGeneric + formatProbabilityRows): the final weights equal to the last
 * offered, different from every offer, never offered at all; a failing row source; broken weights.
 */
import { describe, expect, it } from 'vitest';
import { LinearPredictionAhead, type AheadRows } from '../../../../../src/adapters/tfjs/predict/linear-ahead.js';
import { scoreRows10, scoreRowsGeneric } from '../../../../../src/adapters/tfjs/predict/linear-scorer.js';
import { formatProbabilityRows } from '../../../../../src/adapters/tfjs/predict/probability-csv.js';

const PIXELS = 784;

function rowsOf(n: number, seed: number): Uint8Array {
  const px = new Uint8Array(n * PIXELS);
  let s = seed;
  for (let i = 0; i < px.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    if (s >>> 29 === 0) px[i] = s >>> 24;
  }
  return px;
}

function weights(k: number, seed: number): { kernel: Float32Array; bias: Float32Array } {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 69069) + 1) >>> 0) / 2 ** 32 - 0.5) * 0.02;
  return { kernel: Float32Array.from({ length: PIXELS * k }, next), bias: Float32Array.from({ length: k }, next) };
}

/** A row source of `sizes` chunks (each in a buffer of its own, one a view into a larger one). */
function source(sizes: number[], fail?: Error) {
  const chunks: AheadRows[] = [];
  let first = 0;
  sizes.forEach((rows, i) => {
    const px = rowsOf(rows, 7 + i);
    const pixels = i === 1 ? new Uint8Array(px.length + 8).fill(3).subarray(8) : px;
    if (i === 1) pixels.set(px);
    chunks.push({ pixels, rows, firstRow: first });
    first += rows;
  });
  const copies = chunks.map((c) => ({ ...c, pixels: c.pixels.slice() }));
  let at = 0;
  let returned = false;
  return {
    copies,
    get returned() {
      return returned;
    },
    async next(): Promise<IteratorResult<AheadRows>> {
      if (at < chunks.length) return { done: false, value: chunks[at++] };
      if (fail) throw fail;
      return { done: true, value: undefined };
    },
    async return() {
      returned = true;
      return { done: true, value: undefined };
    },
  };
}

function expected(copies: AheadRows[], w: { kernel: Float32Array; bias: Float32Array }) {
  const k = w.bias.length;
  return copies.map((c) => {
    const probabilities =
      k === 10
        ? scoreRows10(w.kernel, w.bias, c.pixels, c.rows)
        : scoreRowsGeneric(w.kernel, w.bias, k, c.pixels, c.rows);
    return { probabilities, csv: formatProbabilityRows(probabilities, c.rows, k, c.firstRow + 1) };
  });
}

async function check(offers: number[], final: number, k = 10): Promise<void> {
  const src = source([300, 257, 1, 40]);
  const ahead = new LinearPredictionAhead(src);
  try {
    for (const o of offers) ahead.offer(weights(k, o).kernel, weights(k, o).bias);
    const w = weights(k, final);
    const chunks = await ahead.finish(w.kernel, w.bias);
    const want = expected(src.copies, w);
    expect(chunks.map((c) => [c.firstRow, c.rows])).toEqual(src.copies.map((c) => [c.firstRow, c.rows]));
    chunks.forEach((c, i) => {
      expect(Buffer.from(c.csv).equals(want[i].csv)).toBe(true);
      expect(c.probabilities).toEqual(want[i].probabilities);
    });
  } finally {
    await ahead.close();
    expect(src.returned).toBe(true);
  }
}

describe('LinearPredictionAhead', () => {
  it('returns what the main thread computes for the final weights, offered last', async () => {
    await check([1, 2, 3], 3);
  });

  it('redoes the rows when the final weights differ from every offer, or none was made', async () => {
    await check([1, 2], 5);
    await check([], 6);
  });

  it('works for any class count (the generic scorer)', async () => {
    await check([4], 4, 3);
  });

  it("rejects with the row source's error", async () => {
    const src = source([10], new Error('bad row 12'));
    const ahead = new LinearPredictionAhead(src);
    ahead.offer(weights(10, 1).kernel, weights(10, 1).bias);
    await expect(ahead.finish(weights(10, 1).kernel, weights(10, 1).bias)).rejects.toThrow('bad row 12');
    await ahead.close();
  });

  it('returns non-finite probabilities (for the caller to refuse) and no text for broken weights', async () => {
    const src = source([5]);
    const ahead = new LinearPredictionAhead(src);
    const w = weights(10, 2);
    w.kernel.fill(Number.NaN);
    const chunks = await ahead.finish(w.kernel, w.bias);
    await ahead.close();
    expect(Number.isNaN(chunks[0].probabilities[0])).toBe(true);
    expect(chunks[0].csv.length).toBe(0);
  });
});
