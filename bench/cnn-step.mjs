#!/usr/bin/env node
/**
 * One CNN gradient (forward + backward of a thread's slice) on wasm: the direct program that
 * training uses (src/adapters/tfjs/train/direct-program.ts) against tfjs autodiff
 * (grad-program.ts), interleaved in one process on the same weights and digits. Reports the
 * CPU time per step (process.cpuUsage; the box is shared, and CPU time is less distorted by
 * other processes than wall time) and the fastest wall step. Run after `npm run build`:
 *   node bench/cnn-step.mjs [--rows 32] [--rounds 8] [--kernels]
 * --kernels: also the direct program's time per wasm kernel (conv, matmul, pool, the two conv
 * gradients) against everything else in the step (JS loops, copies), and the examples/s two
 * threads could reach if a step were nothing but these kernels, perfectly split: the ceiling the
 * wasm kernels put on CNN training, to hold against PyTorch's figure from bench/train.mjs.
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = (p) => import(join(root, 'dist', p));
const { selectBackend } = await dist('adapters/tfjs/runtime/backend.js');
const { MODEL_SPECS } = await dist('adapters/tfjs/model/model-specs.js');
const { gradProgram } = await dist('adapters/tfjs/train/grad-program.js');
const { directGradProgram } = await dist('adapters/tfjs/train/direct-program.js');
const { PIXELS } = await dist('domain/dataset.js');

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const n = opt('--rows', 32);
const rounds = opt('--rounds', 8);
const perRound = 8;

await selectBackend('wasm');
const model = await MODEL_SPECS.cnn.build(10, 42);
const opts = { inputShape: [28, 28, 1], numClasses: 10, l2: 0 };
const programs = { 'tfjs autodiff': gradProgram(model, opts), 'direct (training)': directGradProgram(model, opts) };
// The first n digits of each class in turn, scaled like the CNN's inputs (pixels / 255).
const digits = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
const x = new Float32Array(n * PIXELS);
const y = new Int32Array(n);
for (let i = 0; i < n; i++) {
  y[i] = i % 10;
  x.set(digits[i % 10].slice(Math.floor(i / 10) * PIXELS, (Math.floor(i / 10) + 1) * PIXELS), i * PIXELS);
}
const grad = new Float32Array(programs['tfjs autodiff'].layout.total);
const cpu = {};
const wall = {};
for (let r = 0; r <= rounds; r++) {
  for (const [name, p] of Object.entries(programs)) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < perRound; i++) {
      const t0 = performance.now();
      p.gradients(x, y, n, grad);
      if (r > 0) (wall[name] ??= []).push(performance.now() - t0);
    }
    const c = process.cpuUsage(c0);
    if (r > 0) (cpu[name] ??= []).push((c.user + c.system) / 1000 / perRound); // round 0 warms up
  }
}
const sorted = (a) => [...a].sort((p, q) => p - q);
console.log(
  `CNN gradient of ${n} digits on wasm, ${rounds} interleaved rounds of ${perRound} steps; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}:`,
);
const median = {};
for (const name of Object.keys(programs)) {
  const c = sorted(cpu[name]);
  median[name] = c[c.length >> 1];
  const best = `best ${c[0].toFixed(1)}`;
  const fastest = `fastest wall step ${sorted(wall[name])[0].toFixed(1)} ms`;
  console.log(`  ${name.padEnd(18)} CPU ${median[name].toFixed(1)} ms/step (median of rounds; ${best}), ${fastest}`);
}
console.log(`  direct / autodiff CPU per step: ${(median['direct (training)'] / median['tfjs autodiff']).toFixed(2)}`);

if (args.includes('--kernels')) {
  // Time every wasm kernel the direct program calls (a wrapper around the registered kernel).
  const tf = (await dist('adapters/tfjs/runtime/tfjs-modules.js')).requireTfjs();
  const names = ['FusedConv2D', '_FusedMatMul', 'BatchMatMul', 'MaxPool', 'MaxPoolGrad'];
  names.push('Conv2DBackpropFilter', 'Conv2DBackpropInput');
  const spent = {};
  const restore = [];
  for (const name of names) {
    const k = tf.getKernel(name, 'wasm');
    const f = k.kernelFunc;
    restore.push(() => (k.kernelFunc = f));
    k.kernelFunc = (a) => {
      const t0 = performance.now();
      const r = f(a);
      const first = a.inputs[Object.keys(a.inputs)[0]];
      const key = `${name} ${first.shape.join('x')}`;
      spent[key] = (spent[key] ?? 0) + performance.now() - t0;
      return r;
    };
  }
  const p = directGradProgram(model, { ...opts, l2: 0.0001 }); // the program made now calls the wrappers
  const steps = rounds * perRound;
  for (let i = 0; i < 4; i++) p.gradients(x, y, n, grad);
  for (const k of Object.keys(spent)) delete spent[k];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) p.gradients(x, y, n, grad);
  const total = (performance.now() - t0) / steps;
  restore.forEach((r) => r());
  let kernels = 0;
  console.log(`\ndirect program, ${n} digits, wall ms per step by wasm kernel (mean of ${steps} steps):`);
  for (const [k, ms] of Object.entries(spent).sort((a, b) => b[1] - a[1])) {
    kernels += ms / steps;
    console.log(`  ${k.padEnd(42)} ${(ms / steps).toFixed(2)}`);
  }
  console.log(`  ${'all kernels'.padEnd(42)} ${kernels.toFixed(2)}`);
  console.log(`  ${'the rest (JS loops, copies)'.padEnd(42)} ${(total - kernels).toFixed(2)}`);
  console.log(
    `  ceiling of 2 gradient threads if a step were only these kernels, perfectly split: ` +
      `${Math.round((2 * n * 1000) / kernels)} examples/s (now one thread: ${Math.round((n * 1000) / total)})`,
  );
}
