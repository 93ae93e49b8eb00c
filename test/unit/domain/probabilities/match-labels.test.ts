/** Probability rows matched to an answer key by ImageId: the one matching `evaluate` and `compare` share. */
import { describe, expect, it } from 'vitest';
import { matchLabels } from '../../../../src/domain/probabilities/match-labels.js';
import type { ProbabilityRow } from '../../../../src/domain/probabilities/types.js';
import { UserInputError } from '../../../../src/errors/index.js';

async function* stream(rows: Omit<ProbabilityRow, 'sum'>[]): AsyncGenerator<ProbabilityRow> {
  for (const r of rows) yield { ...r, sum: r.scores.reduce((a, b) => a + b, 0) };
}
const files = { probabilities: 'p.csv', labels: 'key.csv', countHint: 'count hint' };
const key = new Map([
  [1, 2],
  [2, 0],
  [3, 1],
]);

async function failure(p: Promise<unknown>): Promise<UserInputError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserInputError);
  return e as UserInputError;
}

describe('matchLabels', () => {
  it('matches rows by their ImageId in any order: labels, argmax and log loss in file order', async () => {
    const m = await matchLabels(
      stream([
        { line: 2, id: 3, scores: [0.2, 0.8, 0] },
        { line: 3, id: 1, scores: [0.5, 0, 0.5] },
        { line: 4, id: 2, scores: [0.25, 0.25, 0.5] },
      ]),
      key,
      files,
    );
    expect(m.truth).toEqual([1, 2, 0]);
    // Ties go to the lowest class: 0.5/0.5 between 0 and 2 is 0.
    expect(m.predicted).toEqual([1, 0, 2]);
    expect(m.rows).toBe(3);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.5) + Math.log(0.25)) / 3, 12);
  });

  it('uses the 1-based row number when the file carries no ids', async () => {
    const m = await matchLabels(
      stream([
        { line: 1, scores: [0, 0, 1] },
        { line: 2, scores: [1, 0, 0] },
        { line: 3, scores: [0, 1, 0] },
      ]),
      key,
      files,
    );
    expect(m.truth).toEqual([2, 0, 1]);
    expect(m.predicted).toEqual([2, 0, 1]);
    expect(m.logLoss).toBeCloseTo(-Math.log(1 - 1e-15), 12);
  });

  it('an ImageId the key lacks is IDS_MISMATCH at file:line, with the hint given (or none)', async () => {
    const rows = [
      { line: 2, id: 1, scores: [0, 0, 1] },
      { line: 3, id: 7, scores: [1, 0, 0] },
    ];
    const e = await failure(matchLabels(stream(rows), key, { ...files, unknownIdHint: 'same images please' }));
    expect(e.code).toBe('IDS_MISMATCH');
    expect(e.message).toBe('p.csv:3: ImageId 7 is not in key.csv');
    expect(e.hint).toBe('same images please');
    expect(e.details).toEqual({ file: 'p.csv', line: 3, id: 7 });
    expect((await failure(matchLabels(stream(rows), key, files))).hint).toBeUndefined();
  });

  it('fewer or more rows than the key is IDS_MISMATCH naming both counts, with the count hint', async () => {
    const short = await failure(matchLabels(stream([{ line: 2, id: 1, scores: [0, 0, 1] }]), key, files));
    expect(short.code).toBe('IDS_MISMATCH');
    expect(short.message).toBe('p.csv has 1 rows but key.csv has 3');
    expect(short.hint).toBe('count hint');
    // A repeated ImageId: every id is in the key, but there is one row too many.
    const repeated = [1, 2, 3, 1].map((id, i) => ({ line: i + 2, id, scores: [1, 0, 0] }));
    const long = await failure(matchLabels(stream(repeated), key, files));
    expect(long.message).toBe('p.csv has 4 rows but key.csv has 3');
    // Without ids, a fourth row is row number 4, which the key lacks.
    const unnamed = [1, 2, 3, 4].map((i) => ({ line: i, scores: [1, 0, 0] }));
    const extra = await failure(matchLabels(stream(unnamed), key, files));
    expect(extra.message).toBe('p.csv:4: ImageId 4 is not in key.csv');
  });
});
