/** Options shared by the fast and the reference Kaggle CSV parsers. */
import type { CsvProblem } from './csv-problem.js';
import type { HeaderMode, Layout } from './kaggle-layout.js';

export interface ParseOptions {
  /** File name used in messages. */
  file: string;
  layout: Layout | 'auto';
  header: HeaderMode;
  /** Labels must be 0..numClasses-1. */
  numClasses: number;
  /** Yield a chunk once this many rows are buffered (Infinity: one chunk at the end). */
  chunkRows: number;
  /** Rows the buffer holds before it grows (optional; default a chunk's worth, at most 1024). */
  rowsHint?: number;
  /**
   * Collect mode: called for every problem and the bad row is skipped. Without it the first
   * problem throws a CsvError.
   */
  onProblem?: (p: CsvProblem) => void;
  /** Called once the layout is known (after the header or the first row). */
  onLayout?: (layout: Layout, hasHeader: boolean) => void;
  /**
   * Longest accepted line in bytes (without its line break). A longer line stops the read with a
   * CSV_LINE_TOO_LONG error, so one endless line cannot exhaust memory. Default DEFAULT_MAX_LINE_BYTES.
   */
  maxLineBytes?: number;
  /** Called with the count of bytes consumed so far (for progress). */
  onBytes?: (bytes: number) => void;
  /**
   * Chunks may be views into the parser's buffer, valid only until the next chunk is asked for: a
   * consumer that uses each chunk at once (inspect's statistics) saves a copy of every row.
   */
  borrowChunks?: boolean;
}

/** The default of ParseOptions.maxLineBytes: a Kaggle row is under 4 KB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
