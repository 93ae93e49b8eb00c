/** The library API as documented: labelCounts on a dataset, and loadRun errors that say what to do. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelCounts } from '../../../src/domain/dataset.js';
import { loadRun } from '../../../src/stages/load-run.js';
import { newManifest } from '../../../src/domain/manifest.js';

const ds = (labels?: number[]) => ({
  pixels: new Uint8Array((labels?.length ?? 2) * 784),
  labels: labels ? Uint8Array.from(labels) : undefined,
  rows: labels?.length ?? 2,
  numClasses: 4,
});

describe('labelCounts', () => {
  it('counts a dataset (it used to return [0])', () => {
    expect(labelCounts(ds([0, 3, 3, 1]))).toEqual([1, 1, 0, 2]);
  });
  it('counts a label array with a class count', () => {
    expect(labelCounts(Uint8Array.from([2, 2, 0]), 3)).toEqual([1, 0, 2]);
  });
  it('refuses what it cannot count instead of answering wrongly', () => {
    expect(() => labelCounts(ds())).toThrow(/has no labels/);
    expect(() => labelCounts(Uint8Array.from([1]), undefined as unknown as number)).toThrow(/numClasses/);
    expect(() => labelCounts(Uint8Array.from([5]), 3)).toThrow(/label 5 at index 0/);
  });
});

describe('loadRun', () => {
  it('says when the run has no local model, and refuses pixels that are not whole images', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-loadrun-'));
    const m = newManifest({
      runId: 'r',
      command: 'upload',
      engine: 'sagemaker',
      seed: 1,
      now: new Date(0),
      versions: {},
    });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
    const run = await loadRun(dir);
    expect(run.manifest.runId).toBe('r');
    await expect(run.predict(new Uint8Array(784))).rejects.toThrow(/no local model/);
    await expect(run.predict(new Uint8Array(100))).rejects.toThrow(/784/);
  });
});
