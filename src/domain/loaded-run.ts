/**
 * A run folder as read back: its manifest plus whichever metrics it has. `compare`, `report` and
 * the library's `loadRun` share it.
 */
import type { Metrics } from './metrics.js';
import type { RunManifest } from './manifest.js';

/** One run directory, loaded: manifest plus whichever metrics it has. */
export interface LoadedRun {
  dir: string;
  manifest: RunManifest;
  /** Metrics on the held-out validation rows (read, or computed from the validation files). */
  validation?: Metrics;
  validationSource?: 'validation-metrics.json' | 'computed';
  /** Metrics on the test answer key (metrics.json). */
  test?: Metrics;
}
