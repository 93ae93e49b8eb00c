/**
 * `run` starts parsing the test file on a worker thread before training (prefetchTestRows) and
 * hands the reader to localPredictStage: the chunks must be those of the in-thread reader, the thread
 * must start at once (not on the first read), and a reader closed unread (training failed) or
 * after a failure leaves no thread behind. Needs the built worker (npm test builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamKaggleCsvFile } from '../../../../src/adapters/kaggle-csv-file.js';
import { liveCsvReaderThreads } from '../../../../src/adapters/kaggle-csv-threaded.js';
import { DEFAULT_PREDICT_CHUNK_ROWS, prefetchTestRows } from '../../../../src/stages/local/predict.js';
import { InterruptedError, UserInputError } from '../../../../src/errors/index.js';
import { testCsv } from '../../../helpers/kaggle-fixtures.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'digitflow-prefetch-'));
  writeFileSync(join(dir, 'test.csv'), testCsv(DEFAULT_PREDICT_CHUNK_ROWS * 2 + 300));
  const lines = testCsv(50).split('\n');
  lines[20] = lines[20].replace(/,\d+$/, ',x'); // line 21: not a number
  writeFileSync(join(dir, 'bad.csv'), lines.join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sig = (c: { pixels: Uint8Array; rows: number; firstRow: number }) =>
  `${c.firstRow}:${c.rows}:${Buffer.from(c.pixels).toString('base64')}`;

describe('prefetchTestRows', () => {
  it('starts the thread at once and yields the chunks of the in-thread reader', async () => {
    const reader = prefetchTestRows(join(dir, 'test.csv'), 10);
    expect(liveCsvReaderThreads()).toBe(1); // started before anything is read
    const got: string[] = [];
    for (let n = await reader.next(); !n.done; n = await reader.next()) got.push(sig(n.value));
    const want: string[] = [];
    for await (const c of streamKaggleCsvFile(join(dir, 'test.csv'), {
      layout: 'auto',
      chunkRows: DEFAULT_PREDICT_CHUNK_ROWS,
    }))
      want.push(sig(c));
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got).toEqual(want);
    expect(liveCsvReaderThreads()).toBe(0);
  });

  it('closed unread (training failed), the thread stops', async () => {
    const reader = prefetchTestRows(join(dir, 'test.csv'), 10);
    expect(liveCsvReaderThreads()).toBe(1);
    await reader.return(undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(liveCsvReaderThreads()).toBe(0);
  });

  it('a bad test file fails on read with the reader error, and the thread stops', async () => {
    const reader = prefetchTestRows(join(dir, 'bad.csv'), 10);
    await new Promise((r) => setTimeout(r, 200)); // the failure happens before anyone reads: no unhandled rejection
    const err = await reader.next().catch((e) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect(err.message).toContain('bad.csv:21');
    await reader.return(undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(liveCsvReaderThreads()).toBe(0);
  });

  it('counted(): the row count once the whole file is held (no second parse); chunks still follow', async () => {
    const reader = prefetchTestRows(join(dir, 'test.csv'), 10);
    expect(await reader.counted()).toBe(DEFAULT_PREDICT_CHUNK_ROWS * 2 + 300);
    let rows = 0;
    for (let n = await reader.next(); !n.done; n = await reader.next()) rows += n.value.rows;
    expect(rows).toBe(DEFAULT_PREDICT_CHUNK_ROWS * 2 + 300);
    expect(liveCsvReaderThreads()).toBe(0);
  });

  it('counted(): undefined when the read-ahead fills first (the caller counts); every chunk is read', async () => {
    const reader = prefetchTestRows(join(dir, 'test.csv'), 10, undefined, 1);
    expect(await reader.counted()).toBeUndefined();
    let rows = 0;
    for (let n = await reader.next(); !n.done; n = await reader.next()) rows += n.value.rows;
    expect(rows).toBe(DEFAULT_PREDICT_CHUNK_ROWS * 2 + 300);
  });

  it("counted(): a bad file rejects with the reader's error; closed early, it rejects as interrupted", async () => {
    const bad = prefetchTestRows(join(dir, 'bad.csv'), 10);
    const err = await bad.counted().catch((e) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect(err.message).toContain('bad.csv:21');
    await bad.return(undefined);
    const closed = prefetchTestRows(join(dir, 'test.csv'), 10);
    const counted = closed.counted();
    await closed.return(undefined);
    const why = await counted.then(
      (n) => n,
      (e) => e,
    );
    // Either the thread finished first (a count) or the close came first (interrupted): never a hang.
    if (typeof why !== 'number') expect(why).toBeInstanceOf(InterruptedError);
    await new Promise((r) => setTimeout(r, 50));
    expect(liveCsvReaderThreads()).toBe(0);
  });
});
