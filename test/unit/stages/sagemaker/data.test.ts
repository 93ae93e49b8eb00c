import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareTestShards, prepareTrainData } from '../../../../src/stages/sagemaker/data.js';
import { checkLinearLearnerCsv } from '../../../../src/stages/sagemaker/preflight.js';
import { stratifiedSplit } from '../../../../src/domain/split.js';
import { defaultDeps } from '../../../../src/runtime/deps.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'digitflow-smdata-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

const header = Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',');
/** Row i: label i%10, pixel0 = i % 256 (so every row is recognisable), the rest 0. */
const pixels = (i: number) => [i % 256, ...new Array(783).fill(0)].join(',');

describe('Linear Learner data preparation', () => {
  it(
    "train/validation channels: no header, label first, the local engine's split, " +
      'shuffled shards covering every row once',
    async () => {
      const n = 200;
      await writeFile(
        join(dir, 'train.csv'),
        `label,${header}\n` + Array.from({ length: n }, (_, i) => `${i % 10},${pixels(i)}`).join('\n') + '\n',
      );
      const out = await prepareTrainData(
        {
          trainFile: join(dir, 'train.csv'),
          validationFraction: 0.1,
          seed: 7,
          numClasses: 10,
          outDir: join(dir, 'o'),
          shards: 3,
        },
        defaultDeps(),
      );
      const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
      const expected = stratifiedSplit(labels, 10, { seed: 7, secondFraction: 0.1 });
      expect(out.split.validationRows).toEqual(Array.from(expected.second));
      expect(out.train).toHaveLength(3);
      const seen: number[] = [];
      for (const part of out.train) {
        const check = await checkLinearLearnerCsv(part, { labelled: true, numClasses: 10 });
        const lines = (await readFile(part, 'utf8')).trim().split('\n');
        expect(lines.length).toBe(check.rows);
        for (const l of lines) {
          const f = l.split(',');
          seen.push(Number(f[1]));
          expect(Number(f[0])).toBe(Number(f[1]) % 10);
        }
      }
      expect(seen.length).toBe(180);
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from(expected.first));
      expect(seen).not.toEqual([...seen].sort((a, b) => a - b));
      const feats = (await readFile(out.validationFeatures!, 'utf8')).trim().split('\n');
      expect(feats).toHaveLength(20);
      expect(feats[0].split(',')).toHaveLength(784);
      expect(feats.map((l) => Number(l.split(',')[0]))).toEqual(Array.from(expected.second));
      const vl = (await readFile(out.validationLabels!, 'utf8')).trim().split('\n');
      expect(vl[0]).toBe('ImageId,Label');
      expect(vl[1]).toBe(`1,${expected.second[0] % 10}`);
    },
  );

  it('test shards are contiguous blocks in ImageId order', async () => {
    await writeFile(
      join(dir, 'test.csv'),
      `${header}\n` + Array.from({ length: 10 }, (_, i) => pixels(i)).join('\n') + '\n',
    );
    const t = await prepareTestShards(
      { testFile: join(dir, 'test.csv'), shards: 3, outDir: join(dir, 'o'), numClasses: 10 },
      defaultDeps(),
    );
    expect(t.shardRows).toEqual([4, 3, 3]);
    const firsts = await Promise.all(
      t.shards.map(async (p) =>
        (await readFile(p, 'utf8'))
          .trim()
          .split('\n')
          .map((l) => Number(l.split(',')[0])),
      ),
    );
    expect(firsts).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });
});
