#!/usr/bin/env node
/**
 * Kaggle-scale accuracy and wall time of the local models (npm run bench:kaggle-accuracy): `digitflow run`
 * (linear, then --model cnn) as a child process on a 42,000 / 28,000 split of the 70,000 MNIST
 * digits, scored against its answer key. Wall time is the whole command (node start-up, reading
 * the CSVs, training, prediction, argmax, scoring). Goals (issue "Kaggle scale"): linear >= 0.92,
 * CNN >= 0.995 in <= 20 minutes on this machine.
 *
 * Data: --data DIR with train.csv, test.csv and test_labels.csv (default bench/.out/kaggle, made
 * with `digitflow prepare --source mnist --split kaggle --out DIR` when missing).
 * Options: --skip-linear, --skip-cnn, --cnn-epochs N (a shorter CNN run: accuracy per epoch for
 * fitting the schedule on a busy machine), --seed N (default 42).
 * The machine's load average is printed at the start and the end: on a shared box wall times
 * are only comparable between quiet runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli/main.js');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const data = resolve(opt('--data', join(root, 'bench/.out/kaggle')));
const seed = opt('--seed', '42');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

if (!existsSync(join(data, 'train.csv'))) {
  const r = spawnSync(
    process.execPath,
    [cli, 'prepare', '--source', 'mnist', '--split', 'kaggle', '--out', data, '--seed', seed],
    { stdio: 'inherit' },
  );
  if (r.status !== 0 || !existsSync(join(data, 'train.csv'))) {
    console.error(
      `no Kaggle-shaped data in ${data}: pass --data DIR holding train.csv, test.csv, ` +
        `test_labels.csv (42,000 / 28,000 rows)`,
    );
    process.exit(2);
  }
}
const rows = (f) =>
  execFileSync('wc', ['-l', join(data, f)], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)[0] - 1;
console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model}), load average at start ${load()}`);
console.log(`data: ${data} (${rows('train.csv')} train rows, ${rows('test.csv')} test rows), seed ${seed}`);

const tmp = mkdtempSync(join(tmpdir(), 'digitflow-kaggle-'));
const results = {};
try {
  const models = [
    ...(flag('--skip-linear') ? [] : [{ model: 'linear', goal: 0.92, extra: [] }]),
    ...(flag('--skip-cnn')
      ? []
      : [
          {
            model: 'cnn',
            goal: 0.995,
            minutes: 20,
            extra: flag('--cnn-epochs') ? ['--epochs', opt('--cnn-epochs')] : [],
          },
        ]),
  ];
  for (const m of models) {
    const out = join(tmp, m.model);
    const argv = [
      cli,
      'run',
      '--model',
      m.model,
      '--train',
      join(data, 'train.csv'),
      '--test',
      join(data, 'test.csv'),
      '--labels',
      join(data, 'test_labels.csv'),
      '--out',
      out,
      '--seed',
      seed,
      '--json',
      ...m.extra,
    ];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 28 });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0)
      throw new Error(`digitflow run --model ${m.model} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    const res = JSON.parse(r.stdout);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const local = manifest.local ?? {};
    results[m.model] = {
      accuracy: res.accuracy,
      validationAccuracy: res.validationAccuracy,
      wallSeconds: wall,
      timings: res.timings,
      hyperparameters: manifest.hyperparameters,
      epochs: local.epochs,
    };
    const minutes = m.minutes ? `, wall goal <= ${m.minutes} min: ${wall <= m.minutes * 60 ? 'met' : 'NOT met'}` : '';
    console.log(
      `\n${m.model}${m.extra.length ? ` (${m.extra.join(' ')})` : ' (defaults)'}: ` +
        `test accuracy ${res.accuracy.toFixed(4)} (goal >= ${m.goal}: ` +
        `${res.accuracy >= m.goal ? 'met' : 'NOT met'}${minutes})`,
    );
    console.log(
      `  wall ${wall.toFixed(1)} s (train ${res.timings.train.toFixed(1)} s, ` +
        `predict ${res.timings.predict.toFixed(1)} s), ` +
        `validation accuracy ${res.validationAccuracy?.toFixed(4)}, ${manifest.hyperparameters.workers ?? 1} ` +
        `gradient thread(s)`,
    );
    for (const e of local.epochs ?? []) {
      console.log(
        `    epoch ${String(e.epoch).padStart(2)}  loss ${e.loss.toFixed(4)}  val_acc ` +
          `${e.valAccuracy?.toFixed(4) ?? '-'}  ${e.seconds.toFixed(1)} ` +
          `s${e.epoch === local.bestEpoch ? '  *best' : ''}`,
      );
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`\nload average at end ${load()}`);
if (flag('--json')) console.log(JSON.stringify(results));
