#!/usr/bin/env node
/**
 * Keeps notebook outputs out of git: removes every code cell's outputs and execution count, and
 * the per-cell execution metadata Jupyter adds, rewriting the file only when something changed.
 *
 *   node scripts/strip-notebook-outputs.mjs notebooks/*.ipynb          # strip in place
 *   node scripts/strip-notebook-outputs.mjs --check notebooks/*.ipynb  # exit 1 if any has outputs
 *
 * Also checks that every cell has an "id" (nbformat 4.5; nbconvert warns MissingIDFieldWarning
 * without one) and adds a stable one when missing.
 * Written as Jupyter saves (sorted keys, 1-space indent, non-ASCII kept) so diffs stay small.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const args = process.argv.slice(2);
const check = args.includes('--check');
const files = args.filter((a) => a !== '--check');
if (files.length === 0) {
  console.error('usage: node scripts/strip-notebook-outputs.mjs [--check] <notebook.ipynb>...');
  process.exit(2);
}

/** Returns the stripped notebook and the list of things removed or fixed. */
function stripNotebook(nb) {
  const changes = [];
  (nb.cells ?? []).forEach((cell, i) => {
    const where = `cell ${i}${cell.id ? ` (${cell.id})` : ''}`;
    if (!cell.id) {
      // Stable across runs: derived from the cell's position and source.
      const src = Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
      cell.id = createHash('sha256').update(`${i}:${src}`).digest('hex').slice(0, 8);
      changes.push(`${where}: added id ${cell.id}`);
    }
    if (cell.cell_type !== 'code') return;
    if (Array.isArray(cell.outputs) && cell.outputs.length > 0)
      changes.push(`${where}: ${cell.outputs.length} output(s)`);
    if (cell.execution_count !== null && cell.execution_count !== undefined)
      changes.push(`${where}: execution_count ${cell.execution_count}`);
    cell.outputs = [];
    cell.execution_count = null;
    for (const key of ['execution', 'ExecuteTime', 'collapsed', 'scrolled']) {
      if (cell.metadata && key in cell.metadata) {
        delete cell.metadata[key];
        changes.push(`${where}: metadata.${key}`);
      }
    }
  });
  return { nb, changes };
}

/** Jupyter (nbformat) saves with sorted keys; do the same so a strip never reorders a diff. */
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k])]),
    );
  return v;
}

let dirty = 0;
for (const file of files) {
  let nb;
  try {
    nb = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`${file}: not a readable notebook: ${e.message}`);
    process.exit(2);
  }
  const { changes } = stripNotebook(nb);
  if (changes.length === 0) continue;
  dirty++;
  if (check) {
    console.error(
      `${file}: not stripped ` +
        `(${changes.slice(0, 5).join('; ')}${changes.length > 5 ? `; +${changes.length - 5} more` : ''})`,
    );
    console.error(`  fix: node scripts/strip-notebook-outputs.mjs ${file}`);
  } else {
    // temp + rename, so an interrupted run never leaves a half-written notebook
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(sortKeys(nb), null, 1) + '\n');
    renameSync(tmp, file);
    console.log(`${file}: stripped ${changes.length} item(s)`);
  }
}
if (check && dirty > 0) process.exit(1);
