/**
 * The Kaggle score loop, pure parts: what a run's manifest records about each submission
 * (`kaggle.submissions[]`), how the Kaggle CLI's `competitions submissions --csv` listing is read,
 * how a listing row is matched to a recorded submission, and the one rule for how many rows a
 * submission must have.
 */
import { parse } from 'csv-parse/sync';
import { DEFAULT_COMPETITION, DIGIT_RECOGNIZER_ROWS } from './submission.js';

/** Kaggle's scoring states, normalised ("complete" and "SubmissionStatus.COMPLETE" are the same). */
export type KaggleStatus = 'pending' | 'complete' | 'error' | 'unknown';

/** One submission as recorded in a run manifest under `kaggle.submissions[]`. */
export interface KaggleSubmissionRecord {
  competition: string;
  /** The file as given to `kaggle competitions submit -f` (relative to the run when inside it). */
  file: string;
  sha256: string;
  bytes: number;
  rows: number;
  /** The submission message (`-m`); digitflow makes it unique so the listing row can be found. */
  message: string;
  /** ISO time the submission was sent. */
  submittedAt: string;
  status: KaggleStatus;
  /** Public leaderboard score (accuracy for digit-recognizer) once scored. */
  publicScore?: number;
  privateScore?: number;
  /** ISO time the score was read back. */
  scoredAt?: string;
  /** Kaggle's listing date of the matched row, as printed by the CLI. */
  kaggleDate?: string;
}

/** The `kaggle` section of a run manifest. */
export interface KaggleManifestSection {
  submissions: KaggleSubmissionRecord[];
}

/** One row of `kaggle competitions submissions -c <slug> --csv`. */
export interface KaggleListingRow {
  fileName: string;
  date: string;
  description: string;
  status: KaggleStatus;
  /** The status text exactly as printed. */
  rawStatus: string;
  publicScore?: number;
  privateScore?: number;
}

/** Columns the Kaggle CLI prints for submissions (kaggle-api `submission_fields`). */
export const KAGGLE_SUBMISSION_COLUMNS = [
  'fileName',
  'date',
  'description',
  'status',
  'publicScore',
  'privateScore',
] as const;

export function normaliseStatus(raw: string): KaggleStatus {
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/^submissionstatus\./, '');
  if (s === 'complete' || s === 'completed') return 'complete';
  if (s === 'pending' || s === 'running' || s === 'submitted') return 'pending';
  if (s === 'error' || s === 'failed') return 'error';
  return 'unknown';
}

function score(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '' || t === 'None' || t === 'null') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Parses the CLI's CSV listing. Anything printed before the header (version warnings) is skipped;
 * a listing without the expected columns is an Error whose message says what was found.
 */
export function parseSubmissionListing(text: string): KaggleListingRow[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /(^|,)fileName(,|$)/.test(l) && /(^|,)status(,|$)/.test(l));
  if (start < 0) {
    if (/no submissions found/i.test(text)) return [];
    throw new Error(
      `no "fileName,...,status" header in the Kaggle CLI output: ${JSON.stringify(text.trim().slice(0, 200))}`,
    );
  }
  const records = parse(lines.slice(start).join('\n'), {
    columns: true,
    skip_empty_lines: true,
    relax_column_count: true,
  }) as Record<string, string>[];
  return records.map((r) => ({
    fileName: r.fileName ?? '',
    date: r.date ?? '',
    description: r.description ?? '',
    rawStatus: r.status ?? '',
    status: normaliseStatus(r.status ?? ''),
    publicScore: score(r.publicScore),
    privateScore: score(r.privateScore),
  }));
}

/** Kaggle prints naive UTC dates ("2026-11-27 17:02:11" or ISO); returns ms since the epoch or NaN. */
export function kaggleDateMs(date: string): number {
  const t = date.trim();
  if (!t) return NaN;
  const iso = t.includes('T') ? t : t.replace(' ', 'T');
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + 'Z');
}

/**
 * The listing row of `rec`: same message and file name, the newest one not older than the submission (5 min clock
 * slack).
 */
export function matchListingRow(rec: KaggleSubmissionRecord, rows: KaggleListingRow[]): KaggleListingRow | undefined {
  const base = rec.file.split(/[\\/]/).pop() ?? rec.file;
  const sent = Date.parse(rec.submittedAt);
  const candidates = rows.filter(
    (r) => r.description.trim() === rec.message.trim() && (r.fileName === '' || r.fileName === base),
  );
  const recent = candidates.filter((r) => {
    const d = kaggleDateMs(r.date);
    return Number.isNaN(d) || Number.isNaN(sent) || d >= sent - 5 * 60_000;
  });
  return recent.sort((a, b) => (kaggleDateMs(b.date) || 0) - (kaggleDateMs(a.date) || 0))[0];
}

/** A unique, readable default message: what was sent and its content hash. */
export function defaultSubmissionMessage(label: string, sha256: string): string {
  return `digitflow ${label} sha256:${sha256.slice(0, 12)}`;
}

/** Where the expected row count came from. */
export type ExpectedRowsSource = 'rows' | 'test' | 'run' | 'competition' | 'none';

/**
 * The one rule for how many data rows a submission must have, shared by validate-submission and
 * submit: an explicit --rows; else the data rows of the test file (--test, or the run's recorded
 * test input); else the competition's own count (28,000 for digit-recognizer); else unchecked.
 */
export function expectedSubmissionRows(input: {
  rows?: number;
  testRows?: number;
  runTestRows?: number;
  competition?: string;
}): { rows?: number; from: ExpectedRowsSource } {
  if (input.rows !== undefined) return { rows: input.rows, from: 'rows' };
  if (input.testRows !== undefined) return { rows: input.testRows, from: 'test' };
  if (input.runTestRows !== undefined) return { rows: input.runTestRows, from: 'run' };
  if ((input.competition ?? DEFAULT_COMPETITION) === DEFAULT_COMPETITION)
    return { rows: DIGIT_RECOGNIZER_ROWS, from: 'competition' };
  return { from: 'none' };
}
