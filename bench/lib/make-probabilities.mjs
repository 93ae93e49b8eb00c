// Writes N seeded probability rows in one of the two formats `digitflow argmax` reads most:
//   csv        the local engine's file: `ImageId,0,1,...,9`, then `id,p0,...,p9`
//   jsonlines  SageMaker Linear Learner batch transform output: {"score": [p0, ...], "predicted_label": k.0}
// Usage: node bench/lib/make-probabilities.mjs OUT ROWS csv|jsonlines [SEED=42]
// Each row is a softmax of seeded logits (one class pushed up by a random margin, so confidences
// range from near-ties to ~1), written with 6 significant digits as the real files are; rows sum
// to 1 within rounding. The same seed gives the same rows, so a shorter file is a prefix of a
// longer one.
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { formatProbability } from '../../dist/domain/probabilities/format-probability.js';
import { mulberry32 } from '../../dist/domain/random.js';

const [out, nArg, format, seedArg = '42'] = process.argv.slice(2);
const n = Number(nArg);
if (!out || !Number.isInteger(n) || n < 1 || !['csv', 'jsonlines'].includes(format)) {
  console.error('usage: make-probabilities.mjs OUT ROWS csv|jsonlines [SEED]');
  process.exit(2);
}
const K = 10;
const rng = mulberry32(Number(seedArg));
const gauss = () => {
  // Box-Muller; 1 - u keeps log() away from 0.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};

const z = new Float64Array(K);
const p = new Array(K);
function row() {
  const top = Math.floor(rng() * K);
  const margin = rng() * 9; // 0: a near-tie; 9: ~0.999 on one class
  let max = -Infinity;
  for (let j = 0; j < K; j++) {
    z[j] = gauss() + (j === top ? margin : 0);
    if (z[j] > max) max = z[j];
  }
  let sum = 0;
  for (let j = 0; j < K; j++) sum += z[j] = Math.exp(z[j] - max);
  let best = 0;
  for (let j = 0; j < K; j++) {
    p[j] = formatProbability(z[j] / sum);
    if (z[j] > z[best]) best = j;
  }
  return best;
}

const tmp = `${out}.tmp-${process.pid}`;
const fd = openSync(tmp, 'w');
try {
  let buf = format === 'csv' ? `ImageId,${Array.from({ length: K }, (_, j) => j).join(',')}\n` : '';
  for (let i = 1; i <= n; i++) {
    const best = row();
    buf += format === 'csv' ? `${i},${p.join(',')}\n` : `{"score": [${p.join(', ')}], "predicted_label": ${best}.0}\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
} finally {
  closeSync(fd);
}
renameSync(tmp, out);
console.error(`wrote ${out}: ${n} rows (${format}, seed ${seedArg})`);
