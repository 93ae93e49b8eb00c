import { describe, expect, it } from 'vitest';
import { selectBackend, tf, type BackendLoaders } from '../../../../../src/adapters/tfjs/runtime/backend.js';
import { UserInputError } from '../../../../../src/errors/index.js';

const realWasm = () => import('@tensorflow/tfjs-backend-wasm');
const notFound = () =>
  Promise.reject(
    Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node'"), { code: 'ERR_MODULE_NOT_FOUND' }),
  );
// What an `npm ci --ignore-scripts` install does: the package exists but its native binding does not.
const broken = () =>
  Promise.reject(new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x'));

describe('tfjs backend selection', () => {
  it('falls back to wasm when tfjs-node is not installed, and says why', async () => {
    const loaders: BackendLoaders = { node: notFound, wasm: realWasm };
    const c = await selectBackend('auto', loaders);
    expect(c.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(c.skipped).toEqual([{ backend: 'node', reason: 'not installed' }]);
    expect(c.summary).toBe('wasm (tfjs-node not installed)');
  });

  it('falls back when tfjs-node throws a plain Error on import (installed without its binding)', async () => {
    const c = await selectBackend('auto', { node: broken, wasm: realWasm });
    expect(c.backend).toBe('wasm');
    expect(c.skipped[0].backend).toBe('node');
    expect(c.skipped[0].reason).toMatch(/^failed to load: .*native addon module/);
  });

  it('falls back to cpu when wasm cannot load either', async () => {
    const c = await selectBackend('auto', { node: broken, wasm: () => Promise.reject(new Error('no wasm here')) });
    expect(c.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(c.skipped.map((s) => s.backend)).toEqual(['node', 'wasm']);
    expect(c.summary).toContain('wasm failed to load: no wasm here');
  });

  it('a forced backend that cannot load is a user error naming the reason', async () => {
    const err = await selectBackend('node', { node: broken, wasm: realWasm }).catch((e) => e);
    expect(err).toBeInstanceOf(UserInputError);
    expect(err.code).toBe('BACKEND_UNAVAILABLE');
    expect(err.message).toMatch(/'node' is not available: failed to load/);
  });

  it('forcing cpu and wasm works', async () => {
    expect((await selectBackend('cpu')).backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await selectBackend('wasm')).backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
