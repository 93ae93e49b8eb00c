/** How `compare` shows each value: percentages, dollars, seconds, a dash for missing. */

/** Formats a value as shown in the table, so "differs" matches what a reader sees. */
export function displayValue(v: string | number | null, key: string): string {
  if (v === null) return '—';
  if (typeof v === 'string') return v;
  if (key.endsWith('accuracy') || key.startsWith('recall') || key.endsWith('macroF1'))
    return key.endsWith('macroF1') ? v.toFixed(4) : `${(v * 100).toFixed(2)}%`;
  // As Kaggle shows it (the fraction of test rows right, 5 decimals).
  if (key === 'kaggle.publicScore') return v.toFixed(5);
  if (key === 'costUsd') return `$${v < 1 ? v.toFixed(4) : v.toFixed(2)}`;
  if (key.endsWith('Seconds') || key.startsWith('timings')) return v.toFixed(1);
  if (key.endsWith('logLoss')) return v.toFixed(4);
  return String(v);
}
