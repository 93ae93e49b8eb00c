/**
 * How TensorFlow.js is loaded: with `require`, not `import`.
 *
 * tfjs ships CommonJS bundles. An ESM `import` of one makes Node run its CommonJS export lexer over
 * the whole multi-megabyte bundle (and again over each package it requires) before evaluating it:
 * ~0.4 s to import `@tensorflow/tfjs` against ~0.18 s to require it, which was a third of a
 * `digitflow predict` of 28,000 rows. Requiring also gives the one module instance the backends
 * (`@tensorflow/tfjs-backend-wasm`, tfjs-node) register themselves into.
 *
 * - `tfCore`: the engine alone (ops, backends, tf.io; ~40 ms). Enough for inference with plain ops
 *   (functional calls only: chained ops such as `t.add()` are registered by the union package).
 * - `requireTfjs()`: the union package (layers, gradients, chained ops) for training and models.
 */
import { createRequire } from 'node:module';
import type * as TfjsCore from '@tensorflow/tfjs-core';
import type * as Tfjs from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export const tfCore: typeof TfjsCore = require('@tensorflow/tfjs-core');

/** The union package; loaded on first call (cached by Node afterwards). */
export function requireTfjs(): typeof Tfjs {
  return require('@tensorflow/tfjs');
}

/** Loads a backend package by name (throws whatever the package throws when it cannot load). */
export function requirePackage(name: string): unknown {
  return require(name);
}
