// Reads one CSV with digitflow's reader and prints {seconds, rows, maxRssMB} as JSON.
import { readKaggleCsvFile } from '../../dist/adapters/kaggle-csv-file.js';

const [file, parser] = process.argv.slice(2);
const c0 = process.cpuUsage();
const t = process.hrtime.bigint();
const r = await readKaggleCsvFile(file, { parser });
const seconds = Number(process.hrtime.bigint() - t) / 1e9;
const cu = process.cpuUsage(c0);
const cpuSeconds = (cu.user + cu.system) / 1e6;
// Touch the data so nothing is optimised away.
let s = 0;
for (let i = 0; i < r.dataset.pixels.length; i += 4096) s += r.dataset.pixels[i];
console.log(
  JSON.stringify({ seconds, cpuSeconds, rows: r.rows, checksum: s, maxRssMB: process.resourceUsage().maxRSS / 1024 }),
);
