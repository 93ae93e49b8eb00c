/** What `compare` found: rows of values side by side, the held-out check, the confusion difference. */

export interface CompareRow {
  key: string;
  label: string;
  /** One value per run, in the order given (null = not recorded). */
  values: (string | number | null)[];
  /** True when the runs' values differ (as displayed). */
  differs: boolean;
}

export interface HeldOutCheck {
  /** true/false when every run records its validation rows, null when some do not. */
  sameValidationRows: boolean | null;
  /** true/false when every run records the test file's sha256, null when some do not. */
  sameTestInput: boolean | null;
  validationRowCounts: (number | null)[];
  messages: string[];
}

export interface CompareResult {
  runs: { dir: string; runId: string; validationSource?: string; hasTestMetrics: boolean }[];
  rows: CompareRow[];
  diffOnly: boolean;
  heldOut: HeldOutCheck;
  /** Two runs only: confusion[true][pred] of run B minus run A. */
  confusionDiff?: { a: string; b: string; on: 'validation' | 'test'; diff: number[][] };
}
