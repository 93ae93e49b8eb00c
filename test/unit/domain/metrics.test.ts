import { describe, expect, it } from 'vitest';
import {
  computeMetrics,
  confusionMatrix,
  LogLossAccumulator,
  metricsFromConfusion,
} from '../../../src/domain/metrics.js';
import { renderConfusionDiffText, renderConfusionText } from '../../../src/domain/confusion-text.js';

describe('metrics against hand-computed values', () => {
  // truth 0,0,0,1,1,2 / pred 0,0,1,1,2,2
  const m = computeMetrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
  it('confusion [true][pred]', () => {
    expect(m.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });
  it('accuracy, per class, macro-F1, baseline', () => {
    expect(m.rows).toBe(6);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.perClass[0]).toMatchObject({ label: 0, precision: 1, support: 3 });
    expect(m.perClass[0].recall).toBeCloseTo(2 / 3, 12);
    expect(m.perClass[0].f1).toBeCloseTo(0.8, 12);
    expect(m.perClass[1]).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(m.perClass[2].precision).toBe(0.5);
    expect(m.perClass[2].recall).toBe(1);
    expect(m.perClass[2].f1).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(m.baselineClass).toBe(0);
    expect(m.baselineAccuracy).toBe(0.5);
  });
  it('classes never seen nor predicted are left out of macro-F1; never-predicted precision is 0', () => {
    const x = computeMetrics([0, 1, 1], [0, 0, 1], 4);
    expect(x.perClass[1].precision).toBe(1);
    expect(x.perClass[3]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
    // class 0: P 1/2 R 1 F1 2/3; class 1: P 1 R 1/2 F1 2/3 → mean over 2 classes
    expect(x.macroF1).toBeCloseTo(2 / 3, 12);
    expect(x.baselineClass).toBe(1);
  });
  it('baseline ties go to the lowest class', () => {
    expect(
      metricsFromConfusion([
        [1, 0],
        [0, 1],
      ]).baselineClass,
    ).toBe(0);
  });
  it('rejects arrays of different length', () => {
    expect(() => confusionMatrix([0], [0, 1], 2)).toThrow();
  });
});

describe('log loss', () => {
  it('is the mean -ln p(true), normalising rows and clipping zeros', () => {
    const acc = new LogLossAccumulator();
    acc.add(0, [0.5, 0.25, 0.25]);
    acc.add(1, [0.2, 0.8, 0]);
    expect(acc.value()).toBeCloseTo((Math.log(2) - Math.log(0.8)) / 2, 12);
    const b = new LogLossAccumulator();
    b.add(1, [1, 3, 0]);
    expect(b.value()).toBeCloseTo(-Math.log(0.75), 12);
    const c = new LogLossAccumulator();
    c.add(2, [1, 0, 0]);
    expect(c.value()).toBeCloseTo(-Math.log(1e-15), 9);
  });
});

describe('terminal confusion matrix', () => {
  const big = Array.from({ length: 10 }, (_, t) =>
    Array.from({ length: 10 }, (_, p) => (t === p ? 2800 : t === 3 && p === 5 ? 99_999 : 0)),
  );
  it('fits 80 columns with 10 classes and 5-digit counts', () => {
    const text = renderConfusionText(big);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toContain('99999');
    expect(text).toContain('recall');
  });
  it('shows counts, recall and precision', () => {
    const text = renderConfusionText([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const lines = text.split('\n');
    expect(lines[3]).toMatch(/^\s+0\s+2\s+1\s+·\s+│\s+66\.7%$/);
    expect(lines.at(-1)).toMatch(/precision\s+100%\s+50%\s+50%/);
  });
  it('colour only when asked', () => {
    expect(
      renderConfusionText([
        [1, 0],
        [0, 1],
      ]),
    ).not.toContain('\u001b[');
    expect(
      renderConfusionText(
        [
          [1, 0],
          [0, 1],
        ],
        { color: true },
      ),
    ).toContain('\u001b[32m');
  });
  it('diff view signs the changes', () => {
    const text = renderConfusionDiffText([
      [3, -3],
      [1, -1],
    ]);
    expect(text).toMatch(/0\s+\+3\s+-3/);
  });
});
