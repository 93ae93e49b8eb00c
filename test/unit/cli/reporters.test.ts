import { describe, expect, it } from 'vitest';
import { createReporter } from '../../../src/cli/reporters.js';
import { renderError } from '../../../src/cli/handle-error.js';
import { UserInputError, InternalError, CloudError } from '../../../src/errors/index.js';
import { percentOf, renderConfusionText } from '../../../src/domain/confusion-text.js';

function sink() {
  let text = '';
  const stream = { write: (s: string) => ((text += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe('reporters', () => {
  it('plain mode: no carriage returns, progress throttled to ~10% steps', () => {
    const s = sink();
    let now = 0;
    const r = createReporter({ mode: 'plain', quiet: false, stream: s.stream, now: () => now });
    for (let i = 1; i <= 1000; i++) {
      now += 1;
      r.emit({ kind: 'progress', task: 't', label: 'read', done: i, total: 1000, unit: 'rows' });
    }
    r.emit({ kind: 'progress-end', task: 't' });
    const lines = s.text().trim().split('\n');
    expect(s.text()).not.toContain('\r');
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(lines.at(-1)).toMatch(/1000 rows \/ 1000 rows 100%/);
  });

  it('plain mode: a task without a total ends on its final count, even when throttled', () => {
    const s = sink();
    const r = createReporter({ mode: 'plain', quiet: false, stream: s.stream, now: () => 0 });
    for (const done of [2048, 4096, 6144, 28000])
      r.emit({ kind: 'progress', task: 'p', label: 'predict', done, unit: 'rows' });
    r.emit({ kind: 'progress-end', task: 'p' });
    const lines = s.text().trim().split('\n');
    expect(lines[0]).toBe('predict: 2048 rows');
    expect(lines.at(-1)).toBe('predict: 28000 rows');
    expect(lines).toHaveLength(2);
  });

  it('json mode: one JSON object per event line; quiet keeps warnings only', () => {
    const s = sink();
    const r = createReporter({ mode: 'json', quiet: false, stream: s.stream });
    r.emit({ kind: 'epoch', epoch: 1, epochs: 2, loss: 0.5, accuracy: 0.8, examplesPerSecond: 100, etaSeconds: 1 });
    r.emit({ kind: 'warn', code: 'W', message: 'careful' });
    const events = s
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(['epoch', 'warn']);
    const q = sink();
    const rq = createReporter({ mode: 'plain', quiet: true, stream: q.stream });
    rq.emit({ kind: 'info', message: 'hidden' });
    rq.emit({ kind: 'warn', code: 'W', message: 'shown' });
    expect(q.text()).toBe('warning[W]: shown\n');
  });
});

describe('error rendering', () => {
  it('user errors: code, message, hint, exit 2, no stack', () => {
    const r = renderError(
      new UserInputError('CSV_WIDTH', 'train.csv:3: expected 785 fields, found 784', { hint: 'fix row 3' }),
      '0.1.0',
    );
    expect(r.exitCode).toBe(2);
    expect(r.text).toBe('error[CSV_WIDTH]: train.csv:3: expected 785 fields, found 784\nhint: fix row 3');
    expect(r.json.error).toMatchObject({ code: 'CSV_WIDTH', fault: 'user' });
  });

  it('cloud errors exit 3; bugs exit 1 and say they are bugs, with the stack', () => {
    expect(renderError(new CloudError('S3_NETWORK', 'down'), 'v').exitCode).toBe(3);
    const bug = renderError(new TypeError('x is undefined'), '0.1.0');
    expect(bug.exitCode).toBe(1);
    expect(bug.text).toMatch(/^error\[BUG\]: x is undefined\nthis is a bug in digitflow/);
    expect(bug.text).toMatch(/at /);
    expect(renderError(new InternalError('METRICS_LENGTH', 'broken'), 'v').text).toMatch(/this is a bug/);
  });
});

describe('confusion matrix text', () => {
  it('never rounds a recall or precision that is not perfect up to 100% (or a non-zero one down to 0%)', () => {
    // class 0: 1990 of 2000 right (99.5%); class 1: all right; predicted-0 precision 1990/1999.
    const text = renderConfusionText([
      [1990, 10],
      [9, 9991],
    ]);
    const [precision] = text.split('\n').filter((l) => l.startsWith('precision'));
    expect(precision.trim().split(/\s+/).slice(1)).toEqual(['99%', '99%']);
    expect(text).toMatch(/│\s+99\.5%/);
    expect(text).toMatch(/│\s+99\.9%/); // 9991 / 10000 = 99.91%
    expect(percentOf(1999, 2000, 1)).toBe('99.9%');
    expect(percentOf(19999, 20000, 1)).toBe('99.9%');
    expect(percentOf(1, 5000, 0)).toBe('1%');
    expect(percentOf(5, 5, 0)).toBe('100%');
    expect(percentOf(0, 5, 1)).toBe('0.0%');
  });
});
