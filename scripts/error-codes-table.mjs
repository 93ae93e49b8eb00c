#!/usr/bin/env node
// Regenerates the "Error codes" table of README.md from src/errors/codes.ts (run `npm run build` first).
// `--check` only compares and exits 1 when the README is out of date.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withErrorCodesTable } from '../dist/errors/codes-table.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readmePath, 'utf8');
const after = withErrorCodesTable(before);
if (process.argv.includes('--check')) {
  if (after !== before) {
    process.stderr.write('README.md error-codes table is out of date: run `node scripts/error-codes-table.mjs`\n');
    process.exit(1);
  }
} else if (after !== before) {
  const tmp = `${readmePath}.${process.pid}.tmp`;
  writeFileSync(tmp, after);
  renameSync(tmp, readmePath);
  process.stdout.write('README.md: error-codes table updated\n');
} else {
  process.stdout.write('README.md: error-codes table already up to date\n');
}
