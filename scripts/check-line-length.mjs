#!/usr/bin/env node
/**
 * No line longer than 120 characters, with no exceptions: code, comments, strings and template literals alike.
 * Prettier (`npm run format`) wraps code; a long comment is re-wrapped and a long string or template literal is
 * split with `+` (at a word, a tag or a `${}`) by hand. A token that alone is too long goes into a named constant.
 *
 * scripts/line-length-baseline.json, while it exists, lists files that are being rewritten on another branch and
 * the number of long lines each may keep until then; every other file may keep none. Lower a count when you fix a
 * line; delete the file when it is empty. Exit 1 on a finding.
 * Usage: `node scripts/check-line-length.mjs [dir-or-file...]` (default: src test bench scripts notebooks and the
 * config files at the top of the repository).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export const MAX = 120;
const EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(['node_modules', 'dist', '.out', 'fixtures']);
const ROOTS = [
  'src',
  'test',
  'bench',
  'scripts',
  'notebooks',
  'eslint.config.js',
  'vitest.config.ts',
  '.dependency-cruiser.cjs',
];

function* files(path) {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) {
    if (EXTENSIONS.test(path)) yield path;
    return;
  }
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(path, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (EXTENSIONS.test(e.name)) yield p;
  }
}

/** 1-based numbers and lengths of the lines of `text` longer than MAX characters. */
export function longLines(text) {
  const found = [];
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX) found.push({ line: i + 1, length: line.length });
  });
  return found;
}

/**
 * The verdict for long lines counted per file against the baseline (file -> lines it may keep): `over`, the files
 * with more than allowed (every file not in the baseline is allowed none), and `lower`, the baseline entries that
 * allow more than their file has (the count can come down, or the entry go).
 */
export function judge(counts, baseline) {
  const over = Object.keys(counts).filter((name) => counts[name] > (baseline[name] ?? 0));
  const lower = Object.keys(baseline).filter((name) => (counts[name] ?? 0) < baseline[name]);
  return { over, lower };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();

function main() {
  const args = process.argv.slice(2);
  const roots = args.length ? args : ROOTS;
  const BASELINE = new URL('./line-length-baseline.json', import.meta.url);
  const baseline = existsSync(BASELINE) ? JSON.parse(readFileSync(BASELINE, 'utf8')) : {};

  const counts = {};
  const report = [];
  for (const root of roots) {
    for (const file of files(root)) {
      const name = relative(process.cwd(), file).split('\\').join('/');
      for (const { line, length } of longLines(readFileSync(file, 'utf8'))) {
        counts[name] = (counts[name] ?? 0) + 1;
        report.push({ name, text: `${name}:${line}: ${length} characters (at most ${MAX})` });
      }
    }
  }
  const { over, lower } = judge(counts, baseline);
  for (const name of lower)
    console.log(
      `${name}: ${counts[name] ?? 0} long line(s) left: lower its entry in scripts/line-length-baseline.json`,
    );
  for (const { name, text } of report) if (over.includes(name)) console.log(text);
  if (over.length) {
    for (const name of over)
      if (baseline[name] !== undefined)
        console.log(`${name}: ${counts[name]} long line(s), at most ${baseline[name]} allowed by the baseline`);
    console.log(
      `lines over ${MAX} characters: let Prettier wrap the code (npm run format), re-wrap a comment, ` +
        'split a string or template literal with +',
    );
    process.exit(1);
  }
  const left = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    left
      ? `line length: ok (${left} long line(s) left in ${Object.keys(counts).length} file(s) of the baseline)`
      : `line length: ok (no line over ${MAX} characters)`,
  );
}
