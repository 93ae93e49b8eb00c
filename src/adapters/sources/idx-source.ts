/**
 * MNIST / Fashion-MNIST IDX files from a folder: `train-images-idx3-ubyte[.gz]`,
 * `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`
 * (the names both projects and Debian's dataset-fashion-mnist use).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PIXELS, type Dataset } from '../../domain/dataset.js';
import { decodeIdxImages, decodeIdxLabels, IdxFormatError } from '../../domain/idx.js';
import { UserInputError } from '../../errors/index.js';

async function findFile(dir: string, names: string[], stem: string): Promise<string> {
  const hit =
    names.find((n) => n === stem || n === `${stem}.gz`) ??
    names.find((n) => n.replace(/\./g, '-').startsWith(stem.replace(/\./g, '-')));
  if (!hit) {
    throw new UserInputError('IDX_MISSING', `${dir} has no ${stem}[.gz]`, {
      hint:
        'an IDX folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, ' +
        't10k-labels-idx1-ubyte (optionally .gz)',
      details: { dir, stem },
    });
  }
  return join(dir, hit);
}

async function readMaybeGz(path: string): Promise<Uint8Array> {
  const raw = await readFile(path);
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw new UserInputError('GZIP_INVALID', `${path} is not a valid gzip file: ${(e as Error).message}`, {
        details: { path },
      });
    }
  }
  return raw;
}

async function loadPair(dir: string, names: string[], prefix: 'train' | 't10k'): Promise<Dataset> {
  const imgPath = await findFile(dir, names, `${prefix}-images-idx3-ubyte`);
  const lblPath = await findFile(dir, names, `${prefix}-labels-idx1-ubyte`);
  try {
    const images = decodeIdxImages(await readMaybeGz(imgPath));
    if (images.rows * images.cols !== PIXELS) {
      throw new IdxFormatError(`images are ${images.rows}x${images.cols}; digitflow needs 28x28`);
    }
    const labels = decodeIdxLabels(await readMaybeGz(lblPath));
    if (labels.length !== images.count) {
      throw new IdxFormatError(`${images.count} images but ${labels.length} labels in ${lblPath}`);
    }
    let max = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
    return {
      pixels: images.pixels,
      labels: new Uint8Array(labels),
      rows: images.count,
      numClasses: Math.max(10, max + 1),
    };
  } catch (e) {
    if (e instanceof IdxFormatError) {
      throw new UserInputError('IDX_INVALID', `${prefix} IDX files in ${dir}: ${e.message}`, { details: { dir } });
    }
    throw e;
  }
}

/** Loads the official train and test parts of an IDX folder. */
export async function loadIdxFolder(dir: string): Promise<{ train: Dataset; test: Dataset; files: string[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new UserInputError('IDX_DIR_NOT_FOUND', `${dir} is not a readable folder`, {
      hint:
        'pass the folder holding the IDX files, e.g. /usr/share/datasets/fashion-mnist (Debian package ' +
        'dataset-fashion-mnist)',
      details: { dir },
    });
  }
  const train = await loadPair(dir, names, 'train');
  const test = await loadPair(dir, names, 't10k');
  return { train, test, files: names.filter((n) => n.includes('idx')).map((n) => join(dir, n)) };
}
