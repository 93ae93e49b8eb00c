/**
 * The files of a saved local model, read and checked without TensorFlow.js: metadata.json
 * (classes, normalisation, backend, seed, data hash, versions), model.json (tfjs layers format)
 * and the weight bytes. model-store.ts writes them and turns them into a network; prediction
 * reads them first, so it can start the test-file reader before TensorFlow.js is loaded.
 */
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { PIXELS } from '../../../domain/dataset.js';
import { UserInputError } from '../../../errors/index.js';
import { fileKind } from '../../atomic-file.js';
import { formatBytes, limits } from '../../limits.js';
import type { Normalization } from './model-inputs.js';
import { MAX_TTA_SHIFT, MODEL_SPECS, type LocalModelKind } from './model-specs.js';

export const MODEL_FORMAT = 'digitflow-tfjs-model';
export const MODEL_FORMAT_VERSION = 1;

/** Everything needed to use the model besides its weights. */
export interface ModelMetadata {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  model: LocalModelKind;
  numClasses: number;
  /** Column names of the probability file, in output order. */
  classes: string[];
  /** Example shape without the batch dimension. */
  inputShape: number[];
  /** The network outputs logits; probabilities are softmax(logits). */
  output: 'logits';
  normalization: Normalization;
  backend: string;
  seed: number;
  hyperparameters: Record<string, number | string>;
  data?: { path?: string; sha256?: string; trainRows: number; validationRows: number };
  bestEpoch?: number;
  /**
   * Image models: predictions average the softmax over every shift of the image by up to this
   * many whole pixels per axis (test-time augmentation, local-model.ts); absent or 0 = none.
   */
  ttaShift?: number;
  versions: Record<string, string>;
  createdAt: string;
}

/** model.json and metadata.json are small: anything larger is not a digitflow model file. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

async function readJson<T>(path: string, what: string, dir: string): Promise<T> {
  let text: string;
  try {
    const s = await stat(path);
    if (!s.isFile() || s.size > MAX_JSON_BYTES) {
      throw new UserInputError(
        'MODEL_INVALID',
        `${path} is ` +
          (s.isFile() ? `${s.size} bytes, more than ${formatBytes(MAX_JSON_BYTES)}` : fileKind(s)) +
          ': not a model file',
        {
          hint: 'the model folder is damaged or was replaced: retrain it or copy it again',
          details: { path },
        },
      );
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof UserInputError) throw e;
    throw new UserInputError('MODEL_NOT_FOUND', `${dir} has no ${what} (${path})`, {
      hint: 'pass the run folder written by `digitflow train --engine local`',
      details: { path },
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new UserInputError('MODEL_INVALID', `${path} is not valid JSON: ${(e as Error).message}`, {
      details: { path },
    });
  }
}

/** A saved model folder, read and checked but not yet turned into a network. */
export interface ModelFiles {
  dir: string;
  metadata: ModelMetadata;
  modelTopology: object;
  weightSpecs: io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

function invalid(dir: string, message: string, path = dir): UserInputError {
  return new UserInputError('MODEL_INVALID', `${dir}: ${message}`, {
    hint: 'the model folder is damaged or was edited: retrain it, or copy it again from where it was trained',
    details: { path },
  });
}

const finiteArray = (v: unknown, n: number): boolean =>
  Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Checks metadata.json against what the predictors assume: a known model kind, as many class
 * names as classes, the kind's input shape, a finite normalisation of the right length.
 */
export function checkModelMetadata(metadata: ModelMetadata, dir: string): void {
  const m = metadata as Partial<ModelMetadata>;
  if (m.model !== 'linear' && m.model !== 'cnn')
    throw invalid(dir, `metadata.json model must be "linear" or "cnn", found ${JSON.stringify(m.model)}`);
  if (!Number.isInteger(m.numClasses) || m.numClasses! < 2 || m.numClasses! > 1000) {
    throw invalid(dir, `metadata.json numClasses must be a whole number 2-1000, found ${JSON.stringify(m.numClasses)}`);
  }
  if (
    !Array.isArray(m.classes) ||
    m.classes.length !== m.numClasses ||
    !m.classes.every((c) => typeof c === 'string')
  ) {
    throw invalid(dir, `metadata.json classes must list ${m.numClasses} class names`);
  }
  const want = MODEL_SPECS[m.model].inputShape;
  if (
    !Array.isArray(m.inputShape) ||
    m.inputShape.length !== want.length ||
    m.inputShape.some((d, i) => d !== want[i])
  ) {
    throw invalid(
      dir,
      `metadata.json inputShape must be [${want.join(', ')}] for a ${m.model} model, ` +
        `found ${JSON.stringify(m.inputShape)}`,
    );
  }
  if (m.ttaShift !== undefined && !(Number.isInteger(m.ttaShift) && m.ttaShift >= 0 && m.ttaShift <= MAX_TTA_SHIFT))
    throw invalid(
      dir,
      `metadata.json ttaShift must be a whole number 0-${MAX_TTA_SHIFT}, found ${JSON.stringify(m.ttaShift)}`,
    );
  if (m.ttaShift && want.length !== 3)
    throw invalid(dir, `metadata.json ttaShift applies to image models only, not to a ${m.model} model`);
  const n = m.normalization as Normalization | undefined;
  const ok =
    n !== undefined &&
    ((n.kind === 'scale' && typeof n.scale === 'number' && Number.isFinite(n.scale) && n.scale > 0) ||
      (n.kind === 'standardize' &&
        finiteArray(n.mean, PIXELS) &&
        finiteArray(n.std, PIXELS) &&
        n.std.every((x) => x >= 0) &&
        typeof n.stdFloor === 'number' &&
        Number.isFinite(n.stdFloor) &&
        n.stdFloor > 0));
  if (!ok)
    throw invalid(
      dir,
      `metadata.json normalization must be a finite scale, or a mean and std of ${PIXELS} finite numbers each`,
    );
}

/**
 * Resolves one weightsManifest path: relative, inside the model folder (also after following
 * symbolic links) and a regular file. Returns the absolute path and its size.
 */
async function weightFile(dir: string, p: unknown): Promise<{ path: string; size: number }> {
  if (typeof p !== 'string' || p === '' || isAbsolute(p) || p.includes('\0'))
    throw invalid(dir, `model.json names a weight file ${JSON.stringify(p)} that is not a relative path`);
  const full = resolve(dir, p);
  const rel = relative(resolve(dir), full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw invalid(dir, `model.json names a weight file outside the model folder (${JSON.stringify(p)})`);
  let real: string;
  let realDir: string;
  try {
    [real, realDir] = await Promise.all([realpath(full), realpath(dir)]);
  } catch {
    throw new UserInputError('MODEL_NOT_FOUND', `${full} is missing`, {
      hint: 'the model folder is incomplete: retrain it or copy it again',
      details: { path: full },
    });
  }
  if (!real.startsWith(realDir + sep))
    throw invalid(dir, `the weight file ${p} links outside the model folder (to ${real})`, full);
  const s = await stat(real);
  if (!s.isFile()) throw invalid(dir, `the weight file ${p} is ${fileKind(s)}, not a regular file`, full);
  return { path: real, size: s.size };
}

/** Reads exactly `size` bytes of a regular file (a file that grows meanwhile is not read further). */
async function readExactly(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}

/**
 * Reads metadata.json, model.json and the weight files of a folder written by `saveModel`.
 * Nothing in the folder is trusted: the metadata is checked, every weight path must stay inside
 * the folder and be a regular file, the files must have exactly the sizes model.json declares (at
 * most --max-model-bytes in all) before a byte of them is read, and every weight must be finite.
 */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const metadata = await readJson<ModelMetadata>(join(dir, 'metadata.json'), 'model metadata', dir);
  if (
    metadata === null ||
    typeof metadata !== 'object' ||
    metadata.format !== MODEL_FORMAT ||
    metadata.formatVersion !== MODEL_FORMAT_VERSION
  ) {
    throw new UserInputError(
      'MODEL_INVALID',
      `${join(dir, 'metadata.json')} is not a ${MODEL_FORMAT} v${MODEL_FORMAT_VERSION} file`,
      { details: { path: dir } },
    );
  }
  checkModelMetadata(metadata, dir);
  const json = await readJson<{
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  }>(join(dir, 'model.json'), 'model.json', dir);
  if (
    !json ||
    !Array.isArray(json.weightsManifest) ||
    !json.weightsManifest.every((g) => g && Array.isArray(g.paths) && Array.isArray(g.weights))
  ) {
    throw invalid(dir, 'model.json has no weightsManifest of paths and weights');
  }
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  let expected = 0;
  for (const w of weightSpecs) {
    if (
      !w ||
      typeof w.name !== 'string' ||
      !Array.isArray(w.shape) ||
      !w.shape.every((d) => Number.isInteger(d) && d >= 0)
    ) {
      throw invalid(
        dir,
        `model.json describes a weight without a valid name and shape (${JSON.stringify(w).slice(0, 80)})`,
      );
    }
    if ((w.dtype ?? 'float32') !== 'float32' || w.quantization)
      throw invalid(dir, `weight ${w.name} is not plain float32`);
    expected += w.shape.reduce((a, b) => a * b, 1) * 4;
  }
  const { maxModelBytes } = limits();
  if (expected > maxModelBytes) {
    throw new UserInputError(
      'MODEL_TOO_LARGE',
      `${dir}: model.json describes ${expected} bytes of weights, more than the limit of ${formatBytes(maxModelBytes)}`,
      {
        hint:
          'a digitflow model is at most a few MB; ' +
          'if this one is genuine, raise the limit with --max-model-bytes <n>',
        details: { path: dir },
      },
    );
  }
  const files = [];
  for (const p of json.weightsManifest.flatMap((g) => g.paths)) files.push(await weightFile(dir, p));
  const onDisk = files.reduce((n, f) => n + f.size, 0);
  if (onDisk !== expected) {
    throw new UserInputError(
      'MODEL_INVALID',
      `${dir}: the weight files hold ${onDisk} bytes, model.json describes ${expected}`,
      { hint: 'the model folder is damaged or incomplete: retrain or copy it again', details: { path: dir } },
    );
  }
  const all = Buffer.concat(await Promise.all(files.map((f) => readExactly(f.path, f.size))));
  if (all.byteLength !== expected)
    throw invalid(dir, `the weight files changed while being read (${all.byteLength} of ${expected} bytes)`);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const values = new Float32Array(weightData);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw invalid(dir, `weight value ${i} is ${values[i]}: a model with non-finite weights predicts nothing but NaN`);
  }
  return { dir, metadata, modelTopology: json.modelTopology, weightSpecs, weightData };
}
