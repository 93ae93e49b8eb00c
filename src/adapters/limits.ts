/**
 * Bounds on what digitflow accepts from a file, so that no input, however hostile, can make a
 * command run out of memory or never finish. Each is a named default, raised for one command with
 * a global flag (the error that hits a bound names the flag):
 *
 * - line length of a Kaggle CSV (a real row is under 4 KB): --max-line-bytes
 * - a zip member's uncompressed size and its expansion ratio: --max-zip-bytes, --max-zip-ratio
 * - a saved local model's weight bytes: --max-model-bytes
 *
 * The CLI sets them once per process (src/cli/program.ts); library users may call setLimits.
 */

export interface Limits {
  /** Longest accepted CSV line, in bytes (without the line break). */
  maxLineBytes: number;
  /** Largest accepted uncompressed size of one zip member, in bytes. */
  maxZipBytes: number;
  /** Largest accepted uncompressed / compressed size ratio of one zip member. */
  maxZipRatio: number;
  /** Largest accepted total size of a local model's weight files, in bytes. */
  maxModelBytes: number;
}

import { DEFAULT_MAX_LINE_BYTES } from '../domain/csv/parse-options.js';

/** A Kaggle row is at most 785 fields of "255," (about 3.2 KB): 64 KiB leaves room for anything real. */
export { DEFAULT_MAX_LINE_BYTES };
/** The Kaggle train.csv is 73 MB, a million-row file 1.8 GB: 8 GiB per member. */
export const DEFAULT_MAX_ZIP_BYTES = 8 * 1024 ** 3;
/** Digit CSVs deflate about 8:1; a zip bomb of zeros reaches 1000:1. */
export const DEFAULT_MAX_ZIP_RATIO = 100;
/** The CNN's weights are about 1 MB, the linear model's 31 KB: 1 GiB. */
export const DEFAULT_MAX_MODEL_BYTES = 1024 ** 3;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  maxZipBytes: DEFAULT_MAX_ZIP_BYTES,
  maxZipRatio: DEFAULT_MAX_ZIP_RATIO,
  maxModelBytes: DEFAULT_MAX_MODEL_BYTES,
});

let current: Limits = { ...DEFAULT_LIMITS };

/** The limits in force in this process. */
export function limits(): Readonly<Limits> {
  return current;
}

/** Changes some limits (undefined entries keep their value); returns the previous limits. */
export function setLimits(next: Partial<Limits>): Limits {
  const previous = current;
  const defined = Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) as Partial<Limits>;
  current = { ...current, ...defined };
  return previous;
}

/** "64 KiB", "8 GiB": a limit as a user reads it. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    u++;
  }
  return `${v} ${units[u]}`;
}
