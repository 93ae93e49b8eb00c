import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledDigitsDir, loadBundledMnist } from '../../../../src/adapters/sources/bundled-mnist.js';
import { loadIdxFolder } from '../../../../src/adapters/sources/idx-source.js';
import { loadKaggleDownload } from '../../../../src/adapters/sources/kaggle-source.js';
import { encodeIdxImages, encodeIdxLabels } from '../../../../src/domain/idx.js';
import { makeZip } from '../../../helpers/make-zip.js';
import { testCsv, trainCsv, rowValues } from '../../../helpers/kaggle-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-sources-'));
});

describe('bundled MNIST digits', () => {
  it('has 10,000 digits whose bytes reproduce the package floats exactly', async () => {
    const ds = await loadBundledMnist();
    expect(ds.rows).toBe(10000);
    const zero = JSON.parse(await readFile(join(bundledDigitsDir(), '0.json'), 'utf8')) as { data: number[] };
    for (let i = 0; i < zero.data.length; i++) {
      // pixel/255 rounded to 3 decimals must give back the package's float.
      expect(Math.round((ds.pixels[i] / 255) * 1000) / 1000).toBe(zero.data[i]);
    }
    expect(ds.labels![0]).toBe(0);
    expect(ds.labels![9999]).toBe(9);
  });
});

describe('IDX folders', () => {
  it('reads gzip and plain IDX pairs (train and t10k)', async () => {
    const d = join(dir, 'idx');
    await mkdir(d);
    const px = new Uint8Array(3 * 784).map((_, i) => i % 256);
    await writeFile(join(d, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdxImages(px, 3)));
    await writeFile(join(d, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdxLabels(Uint8Array.of(1, 2, 3))));
    await writeFile(join(d, 't10k-images-idx3-ubyte'), encodeIdxImages(px.subarray(0, 784), 1));
    await writeFile(join(d, 't10k-labels-idx1-ubyte'), encodeIdxLabels(Uint8Array.of(9)));
    const r = await loadIdxFolder(d);
    expect(r.train.rows).toBe(3);
    expect(Array.from(r.train.labels!)).toEqual([1, 2, 3]);
    expect(Array.from(r.train.pixels)).toEqual(Array.from(px));
    expect(r.test.rows).toBe(1);
  });

  it('says which file is missing or malformed', async () => {
    const d = join(dir, 'idx-bad');
    await mkdir(d);
    await expect(loadIdxFolder(d)).rejects.toMatchObject({ code: 'IDX_MISSING' });
    await writeFile(join(d, 'train-images-idx3-ubyte'), encodeIdxImages(new Uint8Array(784), 1).subarray(0, 100));
    await writeFile(join(d, 'train-labels-idx1-ubyte'), encodeIdxLabels(Uint8Array.of(1)));
    await writeFile(join(d, 't10k-images-idx3-ubyte'), encodeIdxImages(new Uint8Array(784), 1));
    await writeFile(join(d, 't10k-labels-idx1-ubyte'), encodeIdxLabels(Uint8Array.of(1)));
    await expect(loadIdxFolder(d)).rejects.toMatchObject({
      code: 'IDX_INVALID',
      message: expect.stringMatching(/784 bytes|bytes/),
    });
  });

  it('reads Debian fashion-mnist when installed', async () => {
    const d = '/usr/share/datasets/fashion-mnist';
    const exists = await readFile(join(d, 't10k-labels-idx1-ubyte.gz')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      // Optional on a developer machine; CI installs Debian's dataset-fashion-mnist, so there it must be present.
      if (process.env.CI) throw new Error(`${d} missing: .ci/run should install dataset-fashion-mnist`);
      return;
    }
    const r = await loadIdxFolder(d);
    expect(r.train.rows).toBe(60000);
    expect(r.test.rows).toBe(10000);
  });
});

describe('Kaggle downloads', () => {
  it('reads the competition zip and the unpacked folder', async () => {
    const zip = join(dir, 'digit-recognizer.zip');
    await writeFile(
      zip,
      makeZip([
        { name: 'sample_submission.csv', data: 'ImageId,Label\n1,0\n' },
        { name: 'test.csv', data: testCsv(4) },
        { name: 'train.csv', data: trainCsv(6) },
      ]),
    );
    const z = await loadKaggleDownload(zip);
    expect(z.train.rows).toBe(6);
    expect(z.test.rows).toBe(4);
    expect(Array.from(z.test.pixels.subarray(784 * 3))).toEqual(rowValues(3));
    const folder = join(dir, 'unpacked');
    await mkdir(folder);
    await writeFile(join(folder, 'train.csv'), trainCsv(2));
    await writeFile(join(folder, 'test.csv'), testCsv(2));
    expect((await loadKaggleDownload(folder)).train.rows).toBe(2);
  });

  it('names what is missing from a zip', async () => {
    const zip = join(dir, 'other.zip');
    await writeFile(zip, makeZip([{ name: 'readme.txt', data: 'hi' }]));
    await expect(loadKaggleDownload(zip)).rejects.toMatchObject({
      code: 'ZIP_MEMBER_MISSING',
      message: expect.stringContaining('readme.txt'),
    });
  });
});
