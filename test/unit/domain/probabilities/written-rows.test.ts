/**
 * `run` scores its predictions from memory (writtenProbabilityRows) instead of parsing the
 * probabilities.csv it just wrote: the rows must be exactly those the file parser gives for that
 * file (line, ImageId, scores, sum), including awkward values (ties after rounding, tiny, 0, 1).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writtenProbabilityRows } from '../../../../src/domain/probabilities/written-rows.js';
import { parseProbabilityBatches, type ProbabilityRow } from '../../../../src/domain/probabilities/index.js';
import { formatProbabilityRows, probabilityHeader } from '../../../../src/adapters/tfjs/predict/probability-csv.js';
import { mulberry32 } from '../../../../src/domain/random.js';

function randomProbabilities(rows: number, k: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const probs = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: k }, () => Math.exp((rnd() - 0.5) * 60));
    const s = z.reduce((a, b) => a + b, 0);
    z.forEach((v, j) => (probs[r * k + j] = v / s));
  }
  // Rows that round to ties, zeros and ones, and values that only differ past the 6th digit.
  probs.set([0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0], 0);
  probs.set([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], k);
  probs.set([0.3000001, 0.3000004, 0.2, 0.1999995, 0, 1e-30, 0, 0, 0, 0], 2 * k);
  return probs;
}

async function parsed(text: Buffer, k: number): Promise<ProbabilityRow[]> {
  const rows: ProbabilityRow[] = [];
  for await (const batch of parseProbabilityBatches(Readable.from([text]), 'csv', { file: 'p.csv', numClasses: k }))
    rows.push(...batch);
  return rows;
}

describe('writtenProbabilityRows', () => {
  it('gives the rows the file parser reads from the written file (10,000 rows, firstId 1)', async () => {
    const rows = 10_000;
    const probs = randomProbabilities(rows, 10, 5);
    const file = Buffer.concat([Buffer.from(probabilityHeader(10)), formatProbabilityRows(probs, rows, 10, 1)]);
    const fromFile = await parsed(file, 10);
    const inMemory = [...writtenProbabilityRows({ probabilities: probs, rows, numClasses: 10 }, 999)].flat();
    expect(inMemory.length).toBe(rows);
    expect(inMemory).toEqual(fromFile);
  });

  it('honours the class count and firstId, and yields nothing for no rows', async () => {
    const probs = randomProbabilities(50, 3, 9).map((v) => v);
    const file = Buffer.concat([Buffer.from(probabilityHeader(3)), formatProbabilityRows(probs, 50, 3, 1)]);
    const inMemory = [...writtenProbabilityRows({ probabilities: probs, rows: 50, numClasses: 3, firstId: 1 })].flat();
    expect(inMemory).toEqual(await parsed(file, 3));
    expect([...writtenProbabilityRows({ probabilities: new Float32Array(0), rows: 0, numClasses: 10 })]).toEqual([]);
  });
});
