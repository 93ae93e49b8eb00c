#!/usr/bin/env node
/**
 * Kaggle-scale benchmark (npm run bench:kaggle): the competition's shape, 42,000 / 28,000 rows of
 * the 70,000 MNIST digits, each step on the BUILT CLI as a whole child process (node start-up
 * included), with its peer in the same run.
 *
 *  1. `digitflow prepare --source mnist --split kaggle` (the first run downloads and checks the
 *     files into the cache; later runs read the cache). Wall time, rows, where the files came from.
 *  2. `digitflow inspect` of a 3x Kaggle-size train CSV (the 42,000 training rows three times,
 *     126,000 rows) against `pandas.read_csv(dtype=uint8)` + to_numpy as a whole python process.
 *     Best of --runs, alternated. Goal: digitflow >= 3x pandas.
 *  3. The linear pipeline, CSV in -> submission out: `digitflow run --train --test --labels`
 *     (linear, defaults) against bench/peers/kaggle_linear_peer.py (pandas + PyTorch softmax, the
 *     same recipe). Best of --runs. Goals: digitflow >= 2x the peer, accuracy >= 0.92.
 *  4. The CNN pipeline, `digitflow run --model cnn` (defaults): accuracy and wall time against the
 *     goals (>= 0.995 in <= 20 min). Takes many minutes, so it runs only with --cnn (or
 *     BENCH_KAGGLE_CNN=1); otherwise its row says skipped.
 * Peers come from Debian: apt-get install python3-pandas python3-torch.
 * Options: --runs N (default 3 for inspect, 2 for the pipeline), --cnn, --json, --timeline (one
 * more linear run, printing when each of its phases began: read, train epochs, predict, argmax,
 * evaluate, exit; the events come from `--json` on stderr); BENCH_KAGGLE_ONLY=inspect stops after
 * the inspect row.
 * Results also go to bench/.out/kaggle-results.json. The load average is printed before and after.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onJsonEvents } from './lib/json-events.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const outDir = join(root, 'bench', '.out');
mkdirSync(outDir, { recursive: true });
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const RUNS = opt('--runs', undefined);
const CNN = args.includes('--cnn') || process.env.BENCH_KAGGLE_CNN === '1';
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const tmp = mkdtempSync(join(tmpdir(), 'digitflow-bench-kaggle-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));

const load = () => loadavg().map((l) => +l.toFixed(2));
const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, loadStart: load() }, rows: {} };
console.log(
  `machine: ${results.machine.cpus} cpus (${results.machine.model}), ` +
    `load average ${results.machine.loadStart.join(' ')}`,
);

// CPU seconds (user + system) of each child from /usr/bin/time when it exists: steadier than wall
// time on a loaded machine, and it shows how much of the wall time a second core saved.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
let timeFiles = 0;
function run(cmd, argv, { env = process.env } = {}) {
  const timeFile = join(tmp, `time-${timeFiles++}.txt`);
  const [file, full] = TIME ? [TIME, ['-f', '%U %S', '-o', timeFile, cmd, ...argv]] : [cmd, argv];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, full, { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      let cpu;
      try {
        const [u, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
        cpu = u + sys;
      } catch {
        cpu = undefined;
      }
      resolve({ code, stdout, stderr, seconds, cpu });
    });
  });
}
const must = (r, what) => {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  return r;
};
async function hasPython(mods) {
  const r = await run(python, ['-c', `import ${mods}`]).catch(() => ({ code: 1 }));
  return r.code === 0;
}
const fmt = (s) => `${s.toFixed(2)} s`;

// 1. prepare ---------------------------------------------------------------------------------------
const data = join(outDir, 'mnist-kaggle');
const prep = must(
  await run(process.execPath, [
    cli,
    'prepare',
    '--source',
    'mnist',
    '--split',
    'kaggle',
    '--out',
    data,
    '--force',
    '--json',
    '--quiet',
  ]),
  'prepare',
);
const prepared = JSON.parse(prep.stdout);
results.rows.prepare = {
  seconds: prep.seconds,
  trainRows: prepared.trainRows,
  testRows: prepared.testRows,
  source: prepared.source,
};
console.log(
  `\nprepare --source mnist --split kaggle: ${prepared.trainRows} + ${prepared.testRows} rows ` +
    `from ${prepared.source} in ${fmt(prep.seconds)} (whole process)`,
);
const train = join(data, 'train.csv');
const test = join(data, 'test.csv');
const labels = join(data, 'test_labels.csv');

// 2. inspect of 3x the Kaggle train file vs pandas -------------------------------------------------------
const x3 = join(outDir, 'mnist-kaggle-train-x3.csv');
if (!existsSync(x3) || statSync(x3).mtimeMs < statSync(train).mtimeMs) {
  const text = readFileSync(train);
  const nl = text.indexOf(10) + 1;
  const fd = openSync(x3, 'w');
  writeSync(fd, text.subarray(0, nl));
  for (let k = 0; k < 3; k++) writeSync(fd, text.subarray(nl));
  closeSync(fd);
}
const mb = statSync(x3).size / 1e6;
const pandasOk = await hasPython('pandas, numpy');
const readCode =
  'import sys, pandas as pd, numpy as np\n' +
  'df = pd.read_csv(sys.argv[1], dtype=np.uint8)\npx = df.iloc[:, 1:].to_numpy()\nprint(len(df))';
const inspectRuns = RUNS ?? 3;
const ins = [];
const pds = [];
for (let i = 0; i < inspectRuns; i++) {
  ins.push(must(await run(process.execPath, [cli, 'inspect', x3, '--quiet']), 'inspect'));
  if (pandasOk) pds.push(must(await run(python, ['-c', readCode, x3]), 'pandas'));
}
const bestOf = (rs, k) => (rs.some((r) => r[k] === undefined) ? undefined : Math.min(...rs.map((r) => r[k])));
const cpuText = (c) => (c === undefined ? '' : `  cpu ${c.toFixed(2)} s`);
const insBest = bestOf(ins, 'seconds');
results.rows.inspect = {
  mb,
  digitflow: insBest,
  digitflowCpu: bestOf(ins, 'cpu'),
  pandas: pandasOk ? bestOf(pds, 'seconds') : undefined,
  pandasCpu: pandasOk ? bestOf(pds, 'cpu') : undefined,
};
console.log(
  `\ninspect of ${x3.slice(root.length + 1)} (${mb.toFixed(0)} MB, 126,000 rows), ` +
    `whole process, best of ${inspectRuns}:`,
);
console.log(
  `  digitflow inspect                      ${fmt(insBest).padStart(9)}  ` +
    `${(mb / insBest).toFixed(0)} MB/s${cpuText(results.rows.inspect.digitflowCpu)}`,
);
if (pandasOk) {
  const p = bestOf(pds, 'seconds');
  console.log(
    `  pandas read_csv(dtype=uint8)           ${fmt(p).padStart(9)}  ` +
      `${(mb / p).toFixed(0)} MB/s${cpuText(results.rows.inspect.pandasCpu)}`,
  );
  console.log(`  ratio digitflow / pandas: ${(p / insBest).toFixed(2)}x wall   (goal >= 3x; both cores may be used)`);
  results.rows.inspect.ratio = p / insBest;
} else console.log('  pandas: skipped (apt-get install python3-pandas)');
if (process.env.BENCH_KAGGLE_ONLY === 'inspect') {
  // Only the inspect row (BENCH_KAGGLE_ONLY=inspect): kaggle-results.json keeps the last full run.
  console.log(`\nload average at the end: ${load().join(' ')}`);
  process.exit(0);
}

// 3. linear pipeline vs pandas + PyTorch -------------------------------------------------------------------
const torchOk = pandasOk && (await hasPython('torch'));
const pipeRuns = RUNS ?? 2;
const df = [];
const pt = [];
let dfAcc;
let ptAcc;
for (let i = 0; i < pipeRuns; i++) {
  const r = must(
    await run(process.execPath, [
      cli,
      'run',
      '--train',
      train,
      '--test',
      test,
      '--labels',
      labels,
      '--out',
      join(tmp, `linear-${i}`),
      '--json',
      '--quiet',
    ]),
    'digitflow run',
  );
  df.push(r);
  dfAcc = JSON.parse(r.stdout).accuracy;
  if (torchOk) {
    // OMP_WAIT_POLICY=PASSIVE: on a loaded machine OpenMP's spinning threads made the peer 30x slower (428 s).
    const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
    const p = must(
      await run(
        python,
        [join(root, 'bench', 'peers', 'kaggle_linear_peer.py'), train, test, join(tmp, `peer-${i}.csv`), labels],
        { env },
      ),
      'torch peer',
    );
    pt.push(p);
    ptAcc = JSON.parse(p.stdout.trim().split('\n').pop()).accuracy;
  }
}
const dfBest = bestOf(df, 'seconds');
results.rows.linear = {
  digitflow: dfBest,
  digitflowCpu: bestOf(df, 'cpu'),
  accuracy: dfAcc,
  peer: torchOk ? bestOf(pt, 'seconds') : undefined,
  peerCpu: torchOk ? bestOf(pt, 'cpu') : undefined,
  peerAccuracy: ptAcc,
};
console.log(`\nlinear pipeline, 42,000 -> 28,000 rows, CSV in -> submission out, whole process, best of ${pipeRuns}:`);
console.log(
  `  digitflow run (linear, defaults)       ${fmt(dfBest).padStart(9)}  accuracy ${dfAcc.toFixed(4)}` +
    `${cpuText(results.rows.linear.digitflowCpu)}   (goal >= 0.92)`,
);
if (torchOk) {
  const p = bestOf(pt, 'seconds');
  console.log(
    `  pandas + PyTorch softmax (2 threads)   ${fmt(p).padStart(9)}  accuracy ${ptAcc.toFixed(4)}` +
      `${cpuText(results.rows.linear.peerCpu)}`,
  );
  console.log(`  ratio digitflow / pandas+PyTorch: ${(p / dfBest).toFixed(2)}x wall   (goal >= 2x)`);
  results.rows.linear.ratio = p / dfBest;
} else console.log('  pandas + PyTorch: skipped (apt-get install python3-pandas python3-torch)');

if (args.includes('--timeline')) {
  // One more run, not quiet: the time each event line arrives says where the wall time goes.
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [cli, 'run', '--train', train, '--test', test, '--labels', labels, '--out', join(tmp, 'timeline'), '--json'],
    { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const phases = [];
  let last = '';
  onJsonEvents(child.stderr, t0, (e, ms) => {
    const what =
      e.event === 'step'
        ? `${e.step}`
        : e.event === 'epoch'
          ? `epoch ${e.epoch} done`
          : e.event === 'progress'
            ? `${e.label.replace(/ \d+\/\d+$/, '')} (progress)`
            : undefined;
    if (what && what !== last) phases.push({ ms: Math.round(ms), what });
    if (what) last = what;
  });
  const code = await new Promise((r) => child.on('close', r));
  phases.push({ ms: Math.round(performance.now() - t0), what: `exit ${code}` });
  results.rows.linear.timeline = phases;
  console.log('  timeline of one more run (ms since spawn, first event of each phase):');
  for (const p of phases) console.log(`    ${String(p.ms).padStart(6)}  ${p.what}`);
}

// 4. CNN pipeline ----------------------------------------------------------------------------------------
console.log('\nCNN pipeline, 42,000 -> 28,000 rows (digitflow run --model cnn, defaults):');
if (CNN) {
  const r = must(
    await run(process.execPath, [
      cli,
      'run',
      '--model',
      'cnn',
      '--train',
      train,
      '--test',
      test,
      '--labels',
      labels,
      '--out',
      join(tmp, 'cnn'),
      '--json',
      '--quiet',
    ]),
    'digitflow run --model cnn',
  );
  const acc = JSON.parse(r.stdout).accuracy;
  results.rows.cnn = { seconds: r.seconds, cpuSeconds: r.cpu, accuracy: acc, loadEnd: load() };
  const cpu = r.cpu === undefined ? '' : `, ${fmt(r.cpu)} CPU`;
  console.log(
    `  digitflow run --model cnn              ${fmt(r.seconds).padStart(9)}  accuracy ${acc.toFixed(4)}   ` +
      `(goals >= 0.995 in <= 1200 s${cpu}, load average ${load().join(' ')})`,
  );
} else {
  console.log('  skipped: takes many minutes; run with --cnn (npm run bench:kaggle -- --cnn) or BENCH_KAGGLE_CNN=1');
}

results.machine.loadEnd = load();
console.log(`\nload average at the end: ${results.machine.loadEnd.join(' ')}`);
writeFileSync(join(outDir, 'kaggle-results.json'), JSON.stringify(results, null, 2) + '\n');
if (args.includes('--json')) console.log(JSON.stringify(results, null, 2));
