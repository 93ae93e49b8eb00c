#!/usr/bin/env node
/**
 * Alternated A/B of the Kaggle-scale linear pipeline between builds: `digitflow run --train --test
 * --labels` on the `npm run bench:kaggle` files (bench/.out/mnist-kaggle), the builds taking turns
 * (A B A B ...), so both see the same load on a shared machine. Per build, medians of: wall time,
 * the main thread's CPU seconds and the whole process's (from /proc/<pid>/task/<pid>/stat and
 * /proc/<pid>/stat, polled every 10 ms; Linux only), when the train and predict steps began, and
 * the time after predict began (wall and main-thread CPU).
 *
 *   node bench/kaggle-ab.mjs <rounds> <build> <build> ...
 *
 * A build is a folder holding a copy of `dist/` and `package.json` (e.g. `mkdir -p bench/.out/a &&
 * cp -r dist package.json bench/.out/a/`), or `.` for the working tree's build.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onJsonEvents } from './lib/json-events.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [rounds, ...builds] = process.argv.slice(2);
if (!(Number(rounds) > 0) || builds.length === 0) {
  console.error('usage: node bench/kaggle-ab.mjs <rounds> <build> [<build> ...]');
  process.exit(2);
}
const data = join(root, 'bench', '.out', 'mnist-kaggle');
const tmp = mkdtempSync(join(tmpdir(), 'digitflow-kaggle-ab-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// utime + stime of a /proc stat line, in seconds (fields 14 and 15; the name may hold spaces).
function cpuSeconds(path) {
  try {
    const s = readFileSync(path, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

function once(build, out) {
  const cli = join(resolve(build), 'dist', 'cli', 'main.js');
  const argv = [cli, 'run', '--train', join(data, 'train.csv'), '--test', join(data, 'test.csv')];
  argv.push('--labels', join(data, 'test_labels.csv'), '--out', out, '--json', '--force');
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    const mainStat = `/proc/${child.pid}/task/${child.pid}/stat`;
    let main = 0;
    let total = 0;
    let mainAtPredict;
    const poll = setInterval(() => {
      main = cpuSeconds(mainStat) ?? main;
      total = cpuSeconds(`/proc/${child.pid}/stat`) ?? total;
    }, 10);
    const began = {};
    onJsonEvents(child.stderr, t0, (e, ms) => {
      if (e.event !== 'step' || e.step in began) return;
      began[e.step] = ms / 1000;
      if (e.step === 'predict') mainAtPredict = cpuSeconds(mainStat);
    });
    child.on('exit', (code) => {
      clearInterval(poll);
      const wall = (performance.now() - t0) / 1000;
      if (code !== 0) throw new Error(`${cli} exited with ${code}`);
      done({
        wall,
        main,
        total,
        train: began.train,
        predict: began.predict,
        afterPredict: wall - began.predict,
        mainAfterPredict: main - mainAtPredict,
      });
    });
  });
}

const results = builds.map(() => []);
for (let r = 0; r < Number(rounds); r++) {
  for (const [i, b] of builds.entries()) {
    const one = await once(b, join(tmp, `run-${i}`));
    results[i].push(one);
    console.log(
      b,
      JSON.stringify(one, (k, v) => (typeof v === 'number' ? +v.toFixed(3) : v)),
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nmedians of ${rounds} alternated runs (seconds):`);
for (const [i, b] of builds.entries()) {
  const keys = Object.keys(results[i][0]);
  console.log(`  ${b}: ${keys.map((k) => `${k} ${median(results[i].map((x) => x[k])).toFixed(3)}`).join('  ')}`);
}
