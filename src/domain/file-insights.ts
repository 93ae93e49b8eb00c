/** What `inspect` learns about one Kaggle CSV (shown as text, JSON and the HTML page). */
import type { CsvProblem } from './csv/csv-problem.js';

export interface FileInsights {
  file: string;
  compression: string;
  bytes: number;
  layout?: 'train' | 'test';
  hasHeader?: boolean;
  columns?: number;
  rows: number;
  labelCounts?: number[];
  pixelMin?: number;
  pixelMax?: number;
  pixelMean?: number;
  /** Share of pixels that are 0 (background). */
  zeroFraction?: number;
  blankImages: number;
  duplicateImages: number;
  problemCount: number;
  problemsByKind: Record<string, number>;
  problems: CsvProblem[];
  ok: boolean;
}
