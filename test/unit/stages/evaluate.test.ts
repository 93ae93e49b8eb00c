import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateStage } from '../../../src/stages/evaluate.js';
import { defaultDeps } from '../../../src/runtime/deps.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'evaluate-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

async function files(sub: string, labels: string) {
  await writeFile(join(dir, 'sub.csv'), sub);
  await writeFile(join(dir, 'labels.csv'), labels);
  return { submission: join(dir, 'sub.csv'), labels: join(dir, 'labels.csv') };
}

describe('evaluateStage', () => {
  it('scores by ImageId (labels in any order) and writes metrics.json', async () => {
    const f = await files('ImageId,Label\n1,0\n2,0\n3,1\n4,1\n', 'ImageId,Label\n4,2\n3,1\n2,0\n1,0\n');
    const output = join(dir, 'metrics.json');
    const m = await evaluateStage({ ...f, output }, defaultDeps());
    expect(m.accuracy).toBe(0.75);
    expect(m.confusion[2][1]).toBe(1);
    expect(JSON.parse(await readFile(output, 'utf8'))).toEqual(m);
    await expect(evaluateStage({ ...f, output }, defaultDeps())).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
  });
  it('log loss from a probability file', async () => {
    const f = await files('ImageId,Label\n1,0\n2,1\n', 'ImageId,Label\n1,0\n2,1\n');
    const probs = join(dir, 'p.jsonl');
    await writeFile(probs, '{"score":[0.5,0.5,0,0,0,0,0,0,0,0]}\n{"score":[0.2,0.8,0,0,0,0,0,0,0,0]}\n');
    const m = await evaluateStage({ ...f, probabilities: probs }, defaultDeps());
    expect(m.logLoss).toBeCloseTo((Math.log(2) - Math.log(0.8)) / 2, 12);
  });
  it('mismatched ids name which', async () => {
    const f = await files('ImageId,Label\n1,0\n2,0\n5,1\n', 'ImageId,Label\n1,0\n2,0\n3,1\n');
    const output = join(dir, 'metrics.json');
    const e = await evaluateStage({ ...f, output }, defaultDeps()).catch(
      (err: unknown) => err as { code: string; message: string },
    );
    expect(e.code).toBe('IDS_MISMATCH');
    expect(e.message).toContain('not in');
    expect(e.message).toMatch(/labels\.csv are not in .*sub\.csv: 3/);
    expect(e.message).toMatch(/sub\.csv are not in .*labels\.csv: 5/);
    expect(await readdir(dir)).not.toContain('metrics.json');
  });
  it('a malformed labels file names file:line', async () => {
    const f = await files('ImageId,Label\n1,0\n', 'ImageId,Label\n1,zero\n');
    await expect(evaluateStage(f, defaultDeps())).rejects.toThrow(/labels\.csv:2:/);
  });
});
