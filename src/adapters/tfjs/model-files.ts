/**
 * The files of a saved local model, read and checked without TensorFlow.js: metadata.json
 * (classes, normalisation, backend, seed, data hash, versions), model.json (tfjs layers format)
 * and the weight bytes. model-store.ts writes them and turns them into a network; prediction
 * reads them first, so it can start the test-file reader before TensorFlow.js is loaded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { UserInputError } from '../../errors/index.js';
import type { Normalization } from './model-inputs.js';
import type { LocalModelKind } from './model-specs.js';

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
  hyperparameters: Record<string, number>;
  data?: { path?: string; sha256?: string; trainRows: number; validationRows: number };
  bestEpoch?: number;
  versions: Record<string, string>;
  createdAt: string;
}

async function readJson<T>(path: string, what: string, dir: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserInputError('MODEL_NOT_FOUND', `${dir} has no ${what} (${path})`, {
      hint: 'pass the run folder written by `digitflow train --engine local`',
      details: { path },
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new UserInputError('MODEL_INVALID', `${path} is not valid JSON: ${(e as Error).message}`, { details: { path } });
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

/** Reads metadata.json, model.json and the weight files of a folder written by `saveModel`. */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const metadata = await readJson<ModelMetadata>(join(dir, 'metadata.json'), 'model metadata', dir);
  if (metadata.format !== MODEL_FORMAT || metadata.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new UserInputError(
      'MODEL_INVALID',
      `${join(dir, 'metadata.json')} is not a ${MODEL_FORMAT} v${MODEL_FORMAT_VERSION} file`,
      { details: { path: dir } },
    );
  }
  const json = await readJson<{
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  }>(join(dir, 'model.json'), 'model.json', dir);
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers: Buffer[] = [];
  for (const p of json.weightsManifest.flatMap((g) => g.paths)) {
    try {
      buffers.push(await readFile(join(dir, p)));
    } catch {
      throw new UserInputError('MODEL_NOT_FOUND', `${join(dir, p)} is missing`, { details: { path: join(dir, p) } });
    }
  }
  const all = Buffer.concat(buffers);
  const expected = weightSpecs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (all.byteLength !== expected) {
    throw new UserInputError(
      'MODEL_INVALID',
      `${dir}: the weight files hold ${all.byteLength} bytes, model.json describes ${expected}`,
      { hint: 'the model folder is damaged or incomplete: retrain or copy it again', details: { path: dir } },
    );
  }
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return { dir, metadata, modelTopology: json.modelTopology, weightSpecs, weightData };
}
