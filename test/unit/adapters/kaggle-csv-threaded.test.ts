/**
 * The worker-thread CSV reader must be indistinguishable from the in-thread one: same chunks in
 * the same order, same errors (class, code, message, details), and no thread left behind when the
 * consumer stops early or is interrupted. Needs the built worker (npm test builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKaggleCsvFile, streamKaggleCsvFile } from '../../../src/adapters/kaggle-csv-file.js';
import { collectingReporter } from '../../../src/runtime/deps.js';
import {
  liveCsvReaderThreads,
  readKaggleCsvFileThreaded,
  streamKaggleCsvFileThreaded,
} from '../../../src/adapters/kaggle-csv-threaded.js';
import { InterruptedError, UserInputError } from '../../../src/errors/index.js';
import { testCsv, trainCsv } from '../../helpers/kaggle-fixtures.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'digitflow-threaded-'));
  writeFileSync(join(dir, 'train.csv'), trainCsv(2000));
  writeFileSync(join(dir, 'test.csv'), testCsv(1500, '\r\n'));
  const lines = trainCsv(120).split('\n');
  lines[100] = lines[100].replace(/,\d+$/, ',256'); // line 101: a pixel out of range
  writeFileSync(join(dir, 'bad.csv'), lines.join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(
  it: AsyncIterable<{ pixels: Uint8Array; labels?: Uint8Array; rows: number; firstRow: number; layout: string }>,
) {
  const out = [];
  for await (const c of it)
    out.push({
      pixels: Buffer.from(c.pixels).toString('base64'),
      labels: c.labels ? Array.from(c.labels) : undefined,
      rows: c.rows,
      firstRow: c.firstRow,
      layout: c.layout,
    });
  return out;
}

describe('streamKaggleCsvFileThreaded', () => {
  it('yields exactly the chunks of the in-thread reader (train and test layouts, window 1 and 2)', async () => {
    for (const [file, window] of [
      ['train.csv', 1],
      ['test.csv', 2],
    ] as const) {
      const opts = { layout: 'auto' as const, numClasses: 10, chunkRows: 40 };
      const threaded = await collect(streamKaggleCsvFileThreaded(join(dir, file), { ...opts, window }));
      const inThread = await collect(streamKaggleCsvFile(join(dir, file), opts));
      expect(threaded.length).toBeGreaterThan(3);
      expect(threaded).toEqual(inThread);
    }
    expect(liveCsvReaderThreads()).toBe(0);
  });

  it('rethrows the reader error with its class, code, message and details', async () => {
    const err = await collect(
      streamKaggleCsvFileThreaded(join(dir, 'bad.csv'), { numClasses: 10, chunkRows: 16 }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect(err.code).toBe('CSV_VALUE');
    expect(err.message).toContain('bad.csv:101');
    expect(err.details).toMatchObject({ line: 101 });
    expect(err.hint).toMatch(/0-255/);
    const missing = await collect(streamKaggleCsvFileThreaded(join(dir, 'nope.csv'))).catch((e) => e);
    const reference = await collect(streamKaggleCsvFile(join(dir, 'nope.csv'))).catch((e) => e);
    expect(missing).toBeInstanceOf(UserInputError);
    expect([missing.code, missing.message]).toEqual([reference.code, reference.message]);
    expect(liveCsvReaderThreads()).toBe(0);
  });

  it('stops the thread when the consumer stops early, and on abort', async () => {
    for await (const c of streamKaggleCsvFileThreaded(join(dir, 'train.csv'), { chunkRows: 10 })) {
      expect(c.rows).toBeGreaterThanOrEqual(10);
      expect(liveCsvReaderThreads()).toBe(1);
      break;
    }
    expect(liveCsvReaderThreads()).toBe(0);
    const controller = new AbortController();
    const it = streamKaggleCsvFileThreaded(join(dir, 'train.csv'), { chunkRows: 10, signal: controller.signal });
    await it.next();
    const reason = new InterruptedError('stopped by the test');
    controller.abort(reason);
    const err = await it.next().catch((e) => e);
    expect(err).toBe(reason); // the signal's reason, as the in-thread reader throws it
    expect(liveCsvReaderThreads()).toBe(0);
  });
});

describe('readKaggleCsvFileThreaded', () => {
  it('reads the dataset the in-thread reader reads, and passes the progress events on', async () => {
    for (const file of ['train.csv', 'test.csv']) {
      const reporter = collectingReporter();
      const threaded = await readKaggleCsvFileThreaded(join(dir, file), { layout: 'auto', reporter });
      const inThread = await readKaggleCsvFile(join(dir, file), { layout: 'auto' });
      expect(threaded.rows).toBeGreaterThan(1000);
      expect({ ...threaded, dataset: undefined }).toEqual({ ...inThread, dataset: undefined });
      expect(Buffer.from(threaded.dataset.pixels).equals(Buffer.from(inThread.dataset.pixels))).toBe(true);
      expect(threaded.dataset.labels && Array.from(threaded.dataset.labels)).toEqual(
        inThread.dataset.labels && Array.from(inThread.dataset.labels),
      );
      const kinds = reporter.events.map((e) => e.kind);
      expect(kinds).toContain('progress');
      expect(kinds.at(-1)).toBe('progress-end');
    }
    expect(liveCsvReaderThreads()).toBe(0);
  });

  it('fails with the in-thread reader error and leaves no thread', async () => {
    const threaded = await readKaggleCsvFileThreaded(join(dir, 'bad.csv'), { layout: 'train' }).catch((e) => e);
    const inThread = await readKaggleCsvFile(join(dir, 'bad.csv'), { layout: 'train' }).catch((e) => e);
    expect(threaded).toBeInstanceOf(UserInputError);
    expect([threaded.code, threaded.message, threaded.details]).toEqual([
      inThread.code,
      inThread.message,
      inThread.details,
    ]);
    expect(liveCsvReaderThreads()).toBe(0);
  });
});
