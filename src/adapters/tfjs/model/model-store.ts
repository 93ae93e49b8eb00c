/**
 * Saves and loads a local model as a folder: `model.json` + `weights.bin` (the standard tfjs
 * layers format, loadable by `tf.loadLayersModel`) and `metadata.json` (classes, normalisation,
 * backend, seed, data hash, versions). Written through atomic files; no tfjs-node file handler
 * is needed.
 */
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import type { io } from '@tensorflow/tfjs-core';
import { UserInputError } from '../../../errors/index.js';
import { fileExists, writeFileAtomic, writeJsonAtomic } from '../../atomic-file.js';
import { readModelFiles, type ModelFiles, type ModelMetadata } from './model-files.js';
import { requireTfjs, tfCore as tf } from '../runtime/tfjs-modules.js';

export {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  readModelFiles,
  type ModelFiles,
  type ModelMetadata,
} from './model-files.js';

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

/**
 * Turns read model files into a tfjs layers model (loads the layers package), and checks that the
 * network really takes metadata.json's input shape and outputs one logit per class: otherwise the
 * probability rows would be cut at the wrong width.
 */
export async function buildLayersModel(files: ModelFiles): Promise<LayersModel> {
  const { modelTopology, weightSpecs, weightData, metadata } = files;
  let model: LayersModel;
  try {
    model = await requireTfjs().loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
  } catch (e) {
    throw new UserInputError(
      'MODEL_INVALID',
      `${files.dir}: the tfjs model cannot be loaded: ${(e as Error).message}`,
      {
        hint: 'the model folder is damaged or was edited: retrain it, or copy it again from where it was trained',
        details: { path: files.dir },
      },
    );
  }
  const input = model.inputs.length === 1 ? model.inputs[0].shape.slice(1) : [];
  const output = model.outputs.length === 1 ? model.outputs[0].shape : [];
  const inputOk = input.length === metadata.inputShape.length && input.every((d, i) => d === metadata.inputShape[i]);
  const outputOk = output.length === 2 && output[1] === metadata.numClasses;
  if (!inputOk || !outputOk) {
    model.dispose();
    throw new UserInputError(
      'MODEL_INVALID',
      `${files.dir}: the network takes [${input.join(', ')}] and outputs [${output.slice(1).join(', ')}] values, ` +
        `metadata.json says [${metadata.inputShape.join(', ')}] and ${metadata.numClasses} classes`,
      {
        hint: 'the model folder is damaged or was edited: retrain it, or copy it again from where it was trained',
        details: { path: files.dir },
      },
    );
  }
  return model;
}

/** Loads a model folder written by `saveModel` as a tfjs layers model. */
export async function loadModel(dir: string): Promise<{ model: LayersModel; metadata: ModelMetadata }> {
  const files = await readModelFiles(dir);
  return { model: await buildLayersModel(files), metadata: files.metadata };
}
