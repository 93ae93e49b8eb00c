#!/usr/bin/env node
/**
 * Lines longer than 120 characters that Prettier cannot shorten: comments, and string or template
 * literals too long for any line. (Prettier, `npm run format`, wraps everything else.)
 *
 * The lines that were long when the check came in are counted per file in
 * scripts/line-length-baseline.json: a file may keep at most that many (fix them when you edit the
 * file, then lower the count with `--update-baseline`); any other file, none. Exit 1 on a finding.
 * Usage: `node scripts/check-line-length.mjs [--update-baseline] [dir...]` (default: src test bench scripts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const MAX = 120;
const EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(['node_modules', 'dist', '.out', 'fixtures']);
function* files(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (EXTENSIONS.test(e.name)) yield p;
  }
}

/** String and template literals on one line, and where a trailing `//` comment starts (-1: none). */
function scan(line) {
  const literals = [];
  let comment = -1;
  for (let i = 0; i < line.length; i++) {
    const q = line[i];
    if (q === '/' && line[i + 1] === '/') {
      comment = i;
      break;
    }
    if (q !== "'" && q !== '"' && q !== '`') continue;
    let j = i + 1;
    while (j < line.length && line[j] !== q) j += line[j] === '\\' ? 2 : 1;
    literals.push(Math.min(j, line.length - 1) - i + 1);
    i = j;
  }
  return { literals, comment };
}

/** Why Prettier cannot bring this line under the limit ('comment' or 'string'), or undefined when it can. */
export function unfixable(line) {
  if (line.length <= MAX) return undefined;
  const code = line.trimStart();
  if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return 'comment';
  const indent = line.length - code.length;
  const { literals, comment } = scan(line);
  // Prettier gives a literal a line of its own at most (plus a comma or a parenthesis).
  if (literals.some((length) => indent + length + 2 > MAX)) return 'string';
  // It never moves a trailing comment off its line.
  if (comment >= 0 && indent + (line.length - comment) + 1 > MAX - 20) return 'comment';
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();

function main() {
  const args = process.argv.slice(2);
  const update = args.includes('--update-baseline');
  const dirs = args.filter((a) => !a.startsWith('--'));
  const roots = dirs.length ? dirs : ['src', 'test', 'bench', 'scripts'];
  const BASELINE = new URL('./line-length-baseline.json', import.meta.url);
  const baseline = JSON.parse(readFileSync(BASELINE, 'utf8'));

  const counts = {};
  const lines = [];
  for (const root of roots) {
    for (const file of files(root)) {
      const name = relative(process.cwd(), file).split('\\').join('/');
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const why = unfixable(line);
          if (!why) return;
          counts[name] = (counts[name] ?? 0) + 1;
          lines.push({
            name,
            text: `${name}:${i + 1}: ${line.length} characters (a long ${why}; Prettier cannot wrap it)`,
          });
        });
    }
  }
  if (update) {
    const sorted = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(BASELINE, JSON.stringify(sorted, null, 2) + '\n');
    console.log(`baseline: ${lines.length} line(s) in ${Object.keys(sorted).length} file(s)`);
    return;
  }
  const over = Object.keys(counts).filter((name) => counts[name] > (baseline[name] ?? 0));
  for (const { name, text } of lines) if (over.includes(name)) console.log(text);
  if (over.length) {
    for (const name of over)
      console.log(`${name}: ${counts[name]} long line(s), at most ${baseline[name] ?? 0} allowed`);
    console.log(`lines over ${MAX} characters that Prettier cannot shorten: split the comment or the string by hand`);
    process.exit(1);
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`line length: ok (${total} long line(s) left from the baseline)`);
}
