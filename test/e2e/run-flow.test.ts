/**
 * The step-by-step flow keeps a run together, through the built binary: `predict <run>` →
 * `argmax <run>` → `evaluate <run>` → `report <run>` read from and write into the run folder,
 * replace their own derived outputs without --force, and record them so `compare` and `report`
 * see them. Also: the old spellings still work, user files stay protected, and the defects of
 * issue 16 that show in this flow (prepare ignoring its path, progress ending on a partial count,
 * absurd throughput on tiny data, a note printed twice, advice to "rerun with the same --seed" for
 * runs on different files).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { binPath, repoRoot, runCli } from '../helpers/cli.js';
import { makeZip } from '../helpers/make-zip.js';
import { header, testCsv, trainRow } from '../helpers/kaggle-fixtures.js';

const sample = (f: string) => join(repoRoot, 'data', 'sample', f);
let dir: string;
const run = (args: string[]) => runCli(args, { cwd: dir });
const manifest = async (runDir: string) => JSON.parse(await readFile(join(dir, runDir, 'manifest.json'), 'utf8'));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-e2e-flow-'));
  await mkdir(join(dir, 'data'));
  for (const f of ['train.csv', 'test.csv', 'test_labels.csv']) await copyFile(sample(f), join(dir, 'data', f));
  const t = await run(['train', '-o', 'runs/a', '--epochs', '2', '--quiet']);
  expect(t.code, t.stderr).toBe(0);
});

describe('predict <run> → argmax <run> → evaluate <run> → report <run>', () => {
  it('each step reads from the run and writes into it, twice in a row without --force', async () => {
    for (let round = 0; round < 2; round++) {
      const p = await run(['predict', 'runs/a']);
      expect(p.code, p.stderr).toBe(0);
      expect(p.stdout).toMatch(/next: digitflow argmax runs\/a/);
      const a = await run(['argmax', 'runs/a']);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toMatch(/wrote runs\/a\/submission\.csv: 100 rows/);
      const e = await run(['evaluate', 'runs/a']);
      expect(e.code, e.stderr).toBe(0);
      expect(e.stdout).toMatch(/wrote runs\/a\/metrics\.json \(answer key data\/test_labels\.csv\)/);
      expect(e.stdout).toMatch(/log loss/); // the run's own probabilities were used
      const r = await run(['report', 'runs/a']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/wrote runs\/a\/report\.html/);
    }
    const m = await manifest('runs/a');
    expect(m.outputs).toMatchObject({
      probabilities: 'probabilities.csv',
      submission: 'submission.csv',
      metrics: 'metrics.json',
      report: 'report.html',
    });
    expect(m.inputs.find((i: { role: string }) => i.role === 'labels')?.path).toBe('data/test_labels.csv');
    expect(m.summary.accuracy).toBeGreaterThan(0);
    // Nothing was written outside the run folder.
    await expect(stat(join(dir, 'submission.csv'))).rejects.toThrow();
  });

  it('compare shows the test metrics evaluate recorded, the epochs trained and kept, validation recall', async () => {
    const c = await run(['compare', 'runs/a']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/test accuracy\s+\d+\.\d+%/);
    expect(c.stdout).toMatch(/epochs trained\s+2\b/);
    expect(c.stdout).toMatch(/epoch kept\s+\d/);
    expect(c.stdout).toMatch(/validation recall 3\s/);
    expect(c.stdout).not.toMatch(/^\s+recall \d/m);
  });

  it('report uses the recorded answer key, says where training stopped, and prints each note once', async () => {
    const r = await run(['report', 'runs/a']);
    expect(r.stdout).toMatch(/misclassified test digits/);
    expect(r.stdout).toMatch(/training ran all 2 epochs, kept epoch \d/);
    expect(r.stdout + r.stderr).not.toMatch(/no answer key/);
    const html = await readFile(join(dir, 'runs/a/report.html'), 'utf8');
    expect(html).toMatch(/id="training-stop">Training ran all 2 epochs, kept epoch \d\./);
    // A run without test results: the note about the validation rows appears once in all output.
    const t = await run(['train', '-o', 'runs/v', '--epochs', '1', '--quiet']);
    expect(t.code, t.stderr).toBe(0);
    const v = await run(['report', 'runs/v']);
    expect(v.code, v.stderr).toBe(0);
    const all = v.stdout + v.stderr;
    expect(all.match(/Misclassified digits come from the held-out validation rows/g)).toHaveLength(1);
  });

  it('keeps user files: an -o file or a submission.csv outside a run needs --force', async () => {
    await writeFile(join(dir, 'mine.csv'), 'precious\n');
    const a = await run(['argmax', 'runs/a', '-o', 'mine.csv']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/OUTPUT_EXISTS/);
    expect(await readFile(join(dir, 'mine.csv'), 'utf8')).toBe('precious\n');
    await copyFile(join(dir, 'runs/a/probabilities.csv'), join(dir, 'probs-copy.csv'));
    expect((await run(['argmax', 'probs-copy.csv'])).code).toBe(0);
    const again = await run(['argmax', 'probs-copy.csv']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/OUTPUT_EXISTS/);
    expect((await run(['argmax', 'probs-copy.csv', '--force'])).code).toBe(0);
  });

  it('the old spellings still work: --run, --output, --submission, --output-dir', async () => {
    const p = await run(['predict', '--run', 'runs/a', '--output', 'old-probs.csv']);
    expect(p.code, p.stderr).toBe(0);
    expect((await stat(join(dir, 'old-probs.csv'))).isFile()).toBe(true);
    const a = await run(['argmax', 'old-probs.csv', '--output', 'old-sub.csv']);
    expect(a.code, a.stderr).toBe(0);
    const e = await run([
      'evaluate',
      '--submission',
      'old-sub.csv',
      '--labels',
      'data/test_labels.csv',
      '--output',
      'old-metrics.json',
    ]);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'old-metrics.json'), 'utf8')).rows).toBe(100);
    const d = await run(['download', 's3://b/k', '--output-dir', 'x', '--help']);
    expect(d.code).toBe(0);
  });

  it('evaluate of a run without a recorded answer key says to pass --labels', async () => {
    await mkdir(join(dir, 'elsewhere'), { recursive: true });
    await copyFile(sample('test.csv'), join(dir, 'elsewhere', 'test.csv'));
    expect((await run(['predict', 'runs/v', '--test', 'elsewhere/test.csv'])).code).toBe(0);
    expect((await run(['argmax', 'runs/v'])).code).toBe(0);
    const e = await run(['evaluate', 'runs/v']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/error\[FLAG_REQUIRED\].*records no answer key/);
    expect(e.stderr).toMatch(/--labels/);
    expect((await run(['evaluate', 'runs/v', '--labels', 'data/test_labels.csv'])).code).toBe(0);
  });
});

describe('defects of issue 16 seen from the command line', () => {
  it('1: prepare <zip> without --source reads the zip; an unknown path is refused', async () => {
    const zip = makeZip([
      {
        name: 'train.csv',
        data: [header('train'), ...Array.from({ length: 30 }, (_, i) => trainRow(i % 10, i))].join('\n') + '\n',
      },
      { name: 'test.csv', data: testCsv(5) },
    ]);
    await writeFile(join(dir, 'digit-recognizer.zip'), zip);
    const p = await run(['prepare', 'digit-recognizer.zip', '-o', 'data/kaggle']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/prepared 30 training and 5 test rows from kaggle:digit-recognizer\.zip/);
    // Zip progress counts the decompressed bytes against the decompressed size: never above 100%.
    const plain = await run(['prepare', 'digit-recognizer.zip', '-o', 'data/kaggle2']);
    for (const m of plain.stderr.matchAll(/(\d+)%/g)) expect(Number(m[1])).toBeLessThanOrEqual(100);
    await writeFile(join(dir, 'notes.txt'), 'hello\n');
    const bad = await run(['prepare', 'notes.txt', '-o', 'data/bad']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error\[SOURCE_UNRECOGNISED\]/);
    await expect(stat(join(dir, 'data/bad'))).rejects.toThrow();
    const both = await run(['prepare', 'digit-recognizer.zip', '--source', 'bundled', '-o', 'data/bad']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/SOURCE_PATH_UNUSED/);
  });

  it('6: prepare --source kaggle without a path has a hint', async () => {
    const r = await run(['prepare', '--source', 'kaggle', '-o', 'data/k3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hint: .*digitflow prepare digit-recognizer\.zip/);
  });

  it('6: plain progress ends on the final count', async () => {
    // 5,000 rows: argmax reports every 4,096, so the last count must be printed at the end.
    const lines = ['ImageId,0,1,2,3,4,5,6,7,8,9'];
    for (let i = 1; i <= 5000; i++) lines.push(`${i},0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1`);
    await writeFile(join(dir, 'p5000.csv'), lines.join('\n') + '\n');
    const r = await run(['argmax', 'p5000.csv', '-o', 'p5000-sub.csv']);
    expect(r.code, r.stderr).toBe(0);
    const counts = [...r.stderr.matchAll(/argmax: (\d+) rows/g)].map((m) => Number(m[1]));
    expect(counts.at(-1)).toBe(5000);
  });

  it('6: training on 5 rows prints no absurd throughput and warns about the absent classes', async () => {
    await writeFile(
      join(dir, 'tiny.csv'),
      [header('train'), ...[0, 1, 2, 3, 4].map((l) => trainRow(l, l))].join('\n') + '\n',
    );
    const r = await run([
      'train',
      '--train',
      'tiny.csv',
      '--validation-fraction',
      '0',
      '--epochs',
      '1',
      '-o',
      'runs/tiny',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning\[CLASS_ABSENT\]: classes 5, 6, 7, 8, 9 never occur in the 5 training rows/);
    const speed = r.stdout.match(/(\d+) examples\/s/);
    if (speed) expect(Number(speed[1])).toBeLessThan(1e7);
  });

  it('6: the confusion footer does not round 1000 of 1001 up to 100%', async () => {
    const truth = ['ImageId,Label'];
    const pred = ['ImageId,Label'];
    for (let id = 1; id <= 2000; id++) {
      const t = id <= 1000 ? 0 : 1;
      truth.push(`${id},${t}`);
      pred.push(`${id},${id === 1 ? 1 : t}`); // one 0 predicted as 1: precision of 1 is 1000/1001
    }
    await writeFile(join(dir, 'truth2000.csv'), truth.join('\n') + '\n');
    await writeFile(join(dir, 'pred2000.csv'), pred.join('\n') + '\n');
    const r = await run(['evaluate', 'pred2000.csv', '--labels', 'truth2000.csv']);
    expect(r.code, r.stderr).toBe(0);
    const footer = r.stdout.split('\n').find((l) => l.startsWith('precision'))!;
    expect(footer.trim().split(/\s+/).slice(1, 3)).toEqual(['100%', '99%']);
  });

  it('6: an empty training file gets a hint that fits it', async () => {
    await writeFile(join(dir, 'empty.csv'), '');
    const r = await run(['train', '--train', 'empty.csv', '-o', 'runs/empty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[CSV_NO_ROWS\].*the file is empty/);
    expect(r.stderr).not.toMatch(/has a header/);
    expect(r.stderr).toMatch(/hint: .*header line and at least one image row/);
  });

  it('6: compare of runs trained on different files does not advise the same --seed', async () => {
    await writeFile(
      join(dir, 'train2.csv'),
      (await readFile(sample('train.csv'), 'utf8')).replace(/\n$/, '\n' + trainRow(3, 999) + '\n'),
    );
    expect((await run(['train', '--train', 'train2.csv', '-o', 'runs/other', '--epochs', '1', '--quiet'])).code).toBe(
      0,
    );
    const c = await run(['compare', 'runs/a', 'runs/other']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/DIFFERENT training files/);
    expect(c.stdout).not.toMatch(/--seed/);
  });
});

describe('no warnings from the AWS SDK', () => {
  it('an S3 command prints no NodeVersionSupportWarning (whatever the Node version)', async () => {
    const s3 = inject('s3');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'us-east-1',
      NO_COLOR: '1',
    };
    // The test runner sets the switch for its own process; the CLI must not depend on it.
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [binPath, 'download', 's3://digitflow-no-such-bucket-16/x.csv', '-o', join(dir, 'dl')],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.stderr).toMatch(/error\[S3_NO_SUCH_BUCKET\]/); // the request did reach the SDK and S3
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
  });
});
