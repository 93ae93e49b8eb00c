// Writes a Kaggle-format train.csv of N rows from the bundled MNIST digits (repeated, seeded shuffle).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadBundledMnist } from '../../dist/adapters/sources/bundled-mnist.js';
import { encodeRows, kaggleHeaderLine } from '../../dist/domain/csv/kaggle-writer.js';
import { mulberry32, permutation } from '../../dist/domain/random.js';

const [out, nArg, layout = 'train'] = process.argv.slice(2);
mkdirSync(dirname(out), { recursive: true });
const n = Number(nArg);
const all = await loadBundledMnist();
const perm = permutation(all.rows, mulberry32(7));
const order = Array.from({ length: n }, (_, i) => perm[i % all.rows]);
const parts = [Buffer.from(kaggleHeaderLine(layout))];
for (let from = 0; from < n; from += 5000) {
  parts.push(
    encodeRows(all.pixels, layout === 'train' ? all.labels : undefined, from, Math.min(n, from + 5000), order),
  );
}
writeFileSync(out, Buffer.concat(parts));
console.error(`wrote ${out}: ${n} rows`);
