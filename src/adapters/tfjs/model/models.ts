/**
 * The layers of the local models (their registry entries are in model-specs.ts). Every model
 * outputs LOGITS (softmax is applied by the loss while training and by `predictProbabilities`),
 * which keeps the loss numerically stable. Every initializer takes a seed derived from the run
 * seed: tfjs has no global seed.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { IMAGE_SIDE, PIXELS } from '../../../domain/dataset.js';
import { deriveSeed } from '../../../domain/seeds.js';
import { requireTfjs } from '../runtime/tfjs-modules.js';

const tf = requireTfjs();

const glorot = (seed: number, layer: number) =>
  tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'layer-init', layer) });
const he = (seed: number, layer: number) => tf.initializers.heNormal({ seed: deriveSeed(seed, 'layer-init', layer) });

/** Softmax regression: zero-mean inputs make small uniform weights a good start. */
export function buildLinear(numClasses: number, seed: number): LayersModel {
  const model = tf.sequential({ name: 'digitflow_linear' });
  model.add(
    tf.layers.dense({ inputShape: [PIXELS], units: numClasses, kernelInitializer: glorot(seed, 1), name: 'logits' }),
  );
  return model;
}

/**
 * conv32-pool-conv64-pool-dense128 on 28x28x1 images. With `dropout` > 0, inverted dropout layers
 * sit before each dense layer: rate dropout / 2 on the 1,600 convolution features and `dropout` on
 * the 128 hidden units (the classic 0.25 / 0.5 of Keras's MNIST CNN at 0.5). They act only while
 * training (the direct program and autodiff draw their masks from the 'dropout' seed stream,
 * domain/dropout-mask.ts); prediction passes values through. Without dropout the model has no
 * such layers (as before they existed).
 */
export function buildCnn(numClasses: number, seed: number, dropout = 0): LayersModel {
  const model = tf.sequential({ name: 'digitflow_cnn' });
  model.add(
    tf.layers.conv2d({
      inputShape: [IMAGE_SIDE, IMAGE_SIDE, 1],
      filters: 32,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: he(seed, 1),
      name: 'conv1',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  model.add(
    tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: he(seed, 2), name: 'conv2' }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout / 2, name: 'dropout1' }));
  model.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: he(seed, 3), name: 'dense1' }));
  if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout, name: 'dropout2' }));
  model.add(tf.layers.dense({ units: numClasses, kernelInitializer: glorot(seed, 4), name: 'logits' }));
  return model;
}
