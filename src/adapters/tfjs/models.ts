/**
 * The two local network architectures (inputs: model-inputs.ts). Both output LOGITS (softmax is applied by
 * the loss while training and by `predictProbabilities`), which keeps the loss numerically stable.
 * Every initializer takes a seed derived from the run seed: tfjs has no global seed.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { IMAGE_SIDE, PIXELS } from '../../domain/dataset.js';
import { deriveSeed } from '../../domain/seeds.js';
import type { LocalModelKind } from './model-inputs.js';
import { requireTfjs } from './tfjs-modules.js';

const tf = requireTfjs();

/** A sub-seed per layer, so layers do not share random streams. */
const layerSeed = (seed: number, layer: number): number => deriveSeed(seed, 'layer-init', layer);

/** Builds the untrained model (logits output). */
export function buildModel(kind: LocalModelKind, numClasses: number, seed: number): LayersModel {
  const glorot = (i: number) => tf.initializers.glorotUniform({ seed: layerSeed(seed, i) });
  const he = (i: number) => tf.initializers.heNormal({ seed: layerSeed(seed, i) });
  const model = tf.sequential({ name: `digitflow_${kind}` });
  if (kind === 'linear') {
    // Softmax regression: zero-mean inputs make small uniform weights a good start.
    model.add(
      tf.layers.dense({ inputShape: [PIXELS], units: numClasses, kernelInitializer: glorot(1), name: 'logits' }),
    );
    return model;
  }
  model.add(
    tf.layers.conv2d({
      inputShape: [IMAGE_SIDE, IMAGE_SIDE, 1],
      filters: 32,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: he(1),
      name: 'conv1',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: he(2), name: 'conv2' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: he(3), name: 'dense1' }));
  model.add(tf.layers.dense({ units: numClasses, kernelInitializer: glorot(4), name: 'logits' }));
  return model;
}
