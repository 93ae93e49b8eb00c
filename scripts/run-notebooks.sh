#!/usr/bin/env bash
# Executes every notebook in notebooks/ headless, as CI does, and fails when:
#   - a committed notebook still holds outputs (they are stripped in git),
#   - nbconvert fails or any cell raised an error (a TypeScript type error included:
#     its diagnostic is printed from the cell's stderr, which nbconvert itself does not show),
#   - a key cell of explore-and-compare.ipynb produced no (or the wrong kind of) output.
# Usage: bash scripts/run-notebooks.sh [notebook.ipynb ...]
# Env: NOTEBOOK_OUT=<dir> keeps the executed notebooks there (default: a temp dir, removed);
#      NOTEBOOK_SKIP_BUILD=1 skips `npx tsc -p .` (dist/ must be current).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/notebook-setup.sh
export JUPYTER_PATH="$PWD/.jupyter/share/jupyter"
export PYDEVD_DISABLE_FILE_VALIDATION=1

if [ $# -gt 0 ]; then notebooks=("$@"); else notebooks=(notebooks/*.ipynb); fi
node scripts/strip-notebook-outputs.mjs --check "${notebooks[@]}"

# The notebooks import the BUILT library (tslab cannot import TypeScript from outside notebooks/).
# NOTEBOOK_SKIP_BUILD=1 reuses dist/ when the caller has just built it (e.g. after npm test).
if [ "${NOTEBOOK_SKIP_BUILD:-}" != "1" ]; then npx tsc -p .; fi

if [ -n "${NOTEBOOK_OUT:-}" ]; then
  out="$NOTEBOOK_OUT"; mkdir -p "$out"
else
  out="$(mktemp -d -t digitflow-notebooks-XXXXXX)"
  trap 'rm -rf "$out"' EXIT
fi
# Kernel connection files go here rather than into the user's ~/.local/share/jupyter.
export JUPYTER_RUNTIME_DIR="$out/runtime"

status=0
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb")"
  echo "run-notebooks: executing $nb"
  start=$(date +%s)
  # Without --allow-errors nbconvert exits 1 on the first failing cell, but for a TypeScript type
  # error tslab sends only a stderr stream (no error output) and nbconvert shows just "<Error>:".
  # So on failure, run again with --allow-errors and print the failing cells' stderr.
  if ! jupyter nbconvert --to notebook --execute \
      --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=tslab \
      --output-dir "$out" "$nb"; then
    echo "run-notebooks: FAILED: a cell of $nb raised an error; re-running with --allow-errors to show the diagnostics" >&2
    jupyter nbconvert --to notebook --execute --allow-errors \
      --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=tslab \
      --output-dir "$out" "$nb" >/dev/null 2>&1 || true
    node -e '
      const nb = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const text = (v) => (Array.isArray(v) ? v.join("") : String(v ?? ""));
      nb.cells.forEach((c, i) => {
        const bad = (c.outputs ?? []).filter((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr"));
        for (const o of bad) console.error(`  cell ${i} (${c.id}): ${o.output_type === "error" ? `${o.ename}: ${o.evalue}` : text(o.text).trim()}`);
      });' "$out/$name" || true
    status=1
    continue
  fi
  echo "run-notebooks: $nb executed in $(( $(date +%s) - start )) s"
  if ! node --input-type=module - "$out/$name" <<'JS'
import { readFileSync } from 'node:fs';
const file = process.argv[2];
const nb = JSON.parse(readFileSync(file, 'utf8'));
const text = (v) => (Array.isArray(v) ? v.join('') : String(v ?? ''));
// What the key cells of explore-and-compare.ipynb must show: [mime, substring, minimum count].
const EXPECT = {
  'load-data': [['stdout', '10000 digits', 1]],
  'label-counts': [['text/html', '<table', 1]],
  'digit-grid': [['text/html', 'data:image/png;base64,', 80]],
  'train': [['stdout', 'backend:', 1], ['text/html', '<table', 1]],
  'evaluate': [['stdout', 'held-out accuracy', 1], ['stdout', 'confusion matrix', 1]],
  'confusion-svg': [['text/html', '<svg', 1], ['text/html', '<rect', 100]],
  'mistakes': [['stdout', 'misclassified', 1], ['text/html', 'data:image/png;base64,', 1]],
  'make-runs': [['stdout', 'comparing:', 1]],
  'compare-table': [['text/html', 'validation accuracy', 1], ['stdout', 'held-out rows', 1]],
  'compare-confusion': [['text/html', '<svg', 2]],
  'reload': [['stdout', 'on the first 20 bundled digits: ', 1]],
};
const failures = [];
const ids = new Set();
for (const [i, cell] of nb.cells.entries()) {
  if (!cell.id) failures.push(`cell ${i} has no id`);
  ids.add(cell.id);
  if (cell.cell_type !== 'code') continue;
  const where = `cell ${i} (${cell.id})`;
  // (tslab reports no execution_count, so "did it run" is judged by the expected outputs below.)
  const errors = cell.outputs.filter((o) => o.output_type === 'error');
  if (errors.length > 0) {
    const stderr = cell.outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => text(o.text)).join('');
    const detail = errors.map((e) => `${e.ename}: ${e.evalue}`).join('; ');
    failures.push(`${where} raised ${detail}${stderr ? `\n    stderr: ${stderr.trim().split('\n').join('\n    ')}` : ''}`);
  }
  const expected = nb.cells.length > 0 && file.endsWith('explore-and-compare.ipynb') ? EXPECT[cell.id] : undefined;
  for (const [mime, needle, min] of expected ?? []) {
    const haystack = cell.outputs
      .map((o) => (mime === 'stdout' ? (o.output_type === 'stream' && o.name === 'stdout' ? text(o.text) : '') : text(o.data?.[mime])))
      .join('');
    const count = haystack.split(needle).length - 1;
    if (count < min) failures.push(`${where}: expected ${min}+ × "${needle}" in its ${mime} output, found ${count}`);
  }
}
if (file.endsWith('explore-and-compare.ipynb')) {
  for (const id of Object.keys(EXPECT)) if (!ids.has(id)) failures.push(`key cell "${id}" is missing from the notebook`);
}
if (failures.length > 0) {
  console.error(`run-notebooks: FAILED: ${file}\n  - ${failures.join('\n  - ')}`);
  process.exit(1);
}
console.log(`run-notebooks: ok: ${nb.cells.filter((c) => c.cell_type === 'code').length} code cells ran without errors, key outputs present`);
JS
  then
    status=1
  fi
done
if [ -n "${NOTEBOOK_OUT:-}" ]; then echo "run-notebooks: executed notebooks kept in $out"; fi
exit $status
