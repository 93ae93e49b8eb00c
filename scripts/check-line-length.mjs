#!/usr/bin/env node
/**
 * No line longer than 120 characters, with no exceptions: code, comments, strings and template literals alike.
 * Prettier (`npm run format`) wraps code; a long comment is re-wrapped and a long string or template literal is
 * split with `+` (at a word, a tag or a `${}`) by hand. A token that alone is too long goes into a named constant.
 * Exit 1 on a finding, naming every file:line.
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();

function main() {
  const args = process.argv.slice(2);
  const roots = args.length ? args : ROOTS;
  const report = [];
  for (const root of roots) {
    for (const file of files(root)) {
      const name = relative(process.cwd(), file).split('\\').join('/');
      for (const { line, length } of longLines(readFileSync(file, 'utf8')))
        report.push(`${name}:${line}: ${length} characters (at most ${MAX})`);
    }
  }
  for (const text of report) console.log(text);
  if (report.length) {
    console.log(
      `lines over ${MAX} characters: let Prettier wrap the code (npm run format), re-wrap a comment, ` +
        'split a string or template literal with +',
    );
    process.exit(1);
  }
  console.log(`line length: ok (no line over ${MAX} characters)`);
}
