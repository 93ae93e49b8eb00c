/**
 * A confusion matrix drawn for the terminal: rows are true classes, columns predicted, with
 * recall per row and precision per column. Fits 80 columns for 10 classes and counts up to
 * 99,999; zeros print as '·' so the mistakes stand out. Colour (ANSI) is optional.
 */
const RESET = '\u001b[0m';
const GREEN = '\u001b[32m';
const YELLOW = '\u001b[33m';
const RED = '\u001b[31m';
const DIM = '\u001b[2m';

/**
 * `part / whole` as a percentage with `digits` decimals that never rounds to 100% (or 0%) unless it
 * is exactly that: 199 of 200 shows 99.5%, 1999 of 2000 at 0 decimals shows 99%, not 100%.
 */
export function percentOf(part: number, whole: number, digits: number): string {
  const step = 10 ** -digits;
  let v = (100 * part) / whole;
  if (part !== whole) v = Math.min(v, 100 - step);
  if (part !== 0) v = Math.max(v, step);
  return `${v.toFixed(digits)}%`;
}

/** Renders `confusion[true][pred]` as text lines (no trailing newline). */
export function renderConfusionText(confusion: number[][], opts: { color?: boolean; title?: string } = {}): string {
  const k = confusion.length;
  const paint = (code: string, s: string) => (opts.color ? code + s + RESET : s);
  let max = 0;
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = new Array<number>(k).fill(0);
  for (let t = 0; t < k; t++)
    for (let p = 0; p < k; p++) {
      max = Math.max(max, confusion[t][p]);
      predicted[p] += confusion[t][p];
    }
  const w = Math.max(String(max).length, String(k - 1).length, 4) + 1; // "100%" needs 4
  const head = 'true\\pred';
  const lines: string[] = [];
  lines.push(opts.title ?? 'confusion matrix (rows: true class, columns: predicted class)');
  lines.push(head.padStart(9) + Array.from({ length: k }, (_, p) => String(p).padStart(w)).join('') + ' │ recall');
  lines.push('─'.repeat(9 + w * k) + '─┼───────');
  for (let t = 0; t < k; t++) {
    let line = String(t).padStart(9);
    for (let p = 0; p < k; p++) {
      const c = confusion[t][p];
      const cell = (c === 0 ? '·' : String(c)).padStart(w);
      if (t === p) line += paint(GREEN, cell);
      else if (c === 0) line += paint(DIM, cell);
      // Off-diagonal cells holding 5%+ of the row are the errors worth a look.
      else line += paint(support[t] > 0 && c / support[t] >= 0.05 ? RED : YELLOW, cell);
    }
    line += ' │ ' + (support[t] > 0 ? percentOf(confusion[t][t], support[t], 1) : '-').padStart(6);
    lines.push(line);
  }
  lines.push('─'.repeat(9 + w * k) + '─┴───────');
  // Precision per column, shown as whole percent so the row stays within the column widths.
  lines.push(
    'precision'.padStart(9) +
      predicted.map((n, p) => (n > 0 ? percentOf(confusion[p][p], n, 0) : '-').padStart(w)).join(''),
  );
  return lines.join('\n');
}

/** Renders `after - before` (two runs) with signed counts: + means run B put more rows there. */
export function renderConfusionDiffText(diff: number[][], opts: { color?: boolean; title?: string } = {}): string {
  const k = diff.length;
  let max = 0;
  for (const row of diff) for (const v of row) max = Math.max(max, Math.abs(v));
  const w = Math.max(String(max).length + 1, 3) + 1;
  const paint = (code: string, s: string) => (opts.color ? code + s + RESET : s);
  const lines = [opts.title ?? 'confusion difference B − A (rows: true, columns: predicted)'];
  lines.push('true\\pred'.padStart(9) + Array.from({ length: k }, (_, p) => String(p).padStart(w)).join(''));
  for (let t = 0; t < k; t++) {
    let line = String(t).padStart(9);
    for (let p = 0; p < k; p++) {
      const v = diff[t][p];
      const cell = (v === 0 ? '·' : (v > 0 ? '+' : '') + String(v)).padStart(w);
      // On the diagonal more is better; off it, fewer is better.
      const good = t === p ? v > 0 : v < 0;
      line += v === 0 ? paint(DIM, cell) : paint(good ? GREEN : RED, cell);
    }
    lines.push(line);
  }
  return lines.join('\n');
}
