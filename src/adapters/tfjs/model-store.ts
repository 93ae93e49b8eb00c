/**
 * Saves and loads a local model as a folder: `model.json` + `weights.bin` (the standard tfjs
 * layers format, loadable by `tf.loadLayersModel`) and `metadata.json` (classes, normalisation,
 * backend, seed, data hash, versions). Written through atomic files; no tfjs-node file handler
 * is needed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import type { io } from '@tensorflow/tfjs-core';
import { UserInputError } from '../../errors/index.js';
import { fileExists, writeFileAtomic, writeJsonAtomic } from '../atomic-file.js';
import type { LocalModelKind, Normalization } from './model-inputs.js';
import { requireTfjs, tfCore as tf } from './tfjs-modules.js';

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

/** Writes model.json, weights.bin and metadata.json into `dir`. */
export async function saveModel(
  dir: string,
  model: LayersModel,
  metadata: ModelMetadata,
  options: { force?: boolean } = {},
): Promise<void> {
  if (!options.force && (await fileExists(join(dir, 'model.json')))) {
    throw new UserInputError('OUTPUT_EXISTS', `${dir} already holds a model`, {
      hint: 'pass --force to replace it, or choose another --out',
      details: { path: dir },
    });
  }
  let artifacts: io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('tfjs produced no weights to save');
  const weightData = tf.io.concatenateArrayBuffers(
    Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
  );
  await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(weightData), { force: true });
  await writeJsonAtomic(
    join(dir, 'model.json'),
    {
      format: 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    },
    { force: true },
  );
  await writeJsonAtomic(join(dir, 'metadata.json'), metadata, { force: true });
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

/** Turns read model files into a tfjs layers model (loads the layers package). */
export async function buildLayersModel(files: ModelFiles): Promise<LayersModel> {
  const { modelTopology, weightSpecs, weightData } = files;
  try {
    return await requireTfjs().loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
  } catch (e) {
    throw new UserInputError('MODEL_INVALID', `${files.dir}: the tfjs model cannot be loaded: ${(e as Error).message}`, {
      details: { path: files.dir },
    });
  }
}

/** Loads a model folder written by `saveModel` as a tfjs layers model. */
export async function loadModel(dir: string): Promise<{ model: LayersModel; metadata: ModelMetadata }> {
  const files = await readModelFiles(dir);
  return { model: await buildLayersModel(files), metadata: files.metadata };
}
