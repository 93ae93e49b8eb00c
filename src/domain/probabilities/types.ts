/**
 * Shapes shared by the probability-row parsers. A probability row is one image's per-class
 * scores, whatever engine produced it (local CSV, SageMaker Linear Learner, legacy Amazon ML).
 */
export type ProbabilityFormat = 'csv' | 'jsonlines' | 'json' | 'aml';
export const PROBABILITY_FORMATS: readonly ProbabilityFormat[] = ['csv', 'jsonlines', 'json', 'aml'];

export interface ProbabilityRow {
  /** 1-based line in the file where the row starts (for error messages). */
  line: number;
  /** The id the file carries for this row (local CSV ImageId, AML tag), if any. */
  id?: number;
  /** One score per class, indexed by class 0..numClasses-1 (already re-ordered for AML). */
  scores: number[];
  /** Sum of the scores (rows of real probabilities sum to ~1). */
  sum: number;
}

export interface ParseProbabilityOptions {
  /** File name used in error messages. */
  file: string;
  /** Expected number of classes; rows with a different count are errors. Default 10. */
  numClasses?: number;
}
