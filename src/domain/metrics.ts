/**
 * Classification metrics from true and predicted labels: accuracy, macro-F1, per-class
 * precision/recall/F1, the confusion matrix, log loss (when probabilities are given) and the
 * most-frequent-class baseline for context. Pure code, checked against hand-computed values.
 */
import { InternalError } from '../errors/index.js';

export interface PerClassMetrics {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true label is this class. */
  support: number;
}

export interface Metrics {
  rows: number;
  accuracy: number;
  /** Mean F1 over the classes that occur in the truth or the predictions. */
  macroF1: number;
  perClass: PerClassMetrics[];
  /** confusion[true][pred] counts. */
  confusion: number[][];
  /** Mean -ln p(true class), rows normalised to sum 1, p clipped at 1e-15. */
  logLoss?: number;
  /** Accuracy of always predicting the most frequent true class. */
  baselineAccuracy: number;
  /** The most frequent true class (lowest on ties). */
  baselineClass: number;
}

/** Counts confusion[true][pred]. */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (truth.length !== predicted.length)
    throw new InternalError('METRICS_LENGTH', `truth has ${truth.length} labels, predictions ${predicted.length}`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]]++;
  return m;
}

/** Every metric except log loss, from a square confusion matrix. */
export function metricsFromConfusion(confusion: number[][]): Metrics {
  const k = confusion.length;
  let rows = 0;
  let correct = 0;
  const support = new Array<number>(k).fill(0);
  const predictedCount = new Array<number>(k).fill(0);
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      const c = confusion[t][p];
      rows += c;
      support[t] += c;
      predictedCount[p] += c;
      if (t === p) correct += c;
    }
  }
  const perClass: PerClassMetrics[] = [];
  let f1Sum = 0;
  let f1Classes = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    // zero_division = 0, as scikit-learn does by default.
    const precision = predictedCount[c] > 0 ? tp / predictedCount[c] : 0;
    const recall = support[c] > 0 ? tp / support[c] : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ label: c, precision, recall, f1, support: support[c] });
    if (support[c] > 0 || predictedCount[c] > 0) {
      f1Sum += f1;
      f1Classes++;
    }
  }
  let baselineClass = 0;
  for (let c = 1; c < k; c++) if (support[c] > support[baselineClass]) baselineClass = c;
  return {
    rows,
    accuracy: rows > 0 ? correct / rows : 0,
    macroF1: f1Classes > 0 ? f1Sum / f1Classes : 0,
    perClass,
    confusion,
    baselineAccuracy: rows > 0 ? support[baselineClass] / rows : 0,
    baselineClass,
  };
}

/** All metrics from label arrays. */
export function computeMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): Metrics {
  return metricsFromConfusion(confusionMatrix(truth, predicted, numClasses));
}

export const LOG_LOSS_EPSILON = 1e-15;

/** Streams log loss: add one row at a time, read the mean at the end. */
export class LogLossAccumulator {
  private total = 0;
  private n = 0;
  add(trueLabel: number, scores: ArrayLike<number>): void {
    let sum = 0;
    for (let i = 0; i < scores.length; i++) sum += scores[i];
    const p = sum > 0 ? scores[trueLabel] / sum : 0;
    this.total += -Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p)));
    this.n++;
  }
  get rows(): number {
    return this.n;
  }
  value(): number {
    return this.n > 0 ? this.total / this.n : Number.NaN;
  }
}
