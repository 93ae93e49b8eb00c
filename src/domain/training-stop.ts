/**
 * Where a run's training stopped and which epoch it kept, from its manifest (the local engine
 * records its per-epoch history, the epoch kept and whether early stopping ended it). `compare`
 * and `report` show this instead of the epoch budget, which a stopped-early run never reached.
 */
import type { RunManifest } from './manifest.js';

export interface TrainingStop {
  /** Epochs actually trained (the last epoch number). */
  epochsRun: number;
  /** The epoch budget (hyperparameter `epochs`), when recorded. */
  maxEpochs?: number;
  /** The epoch whose weights were kept (best validation loss), when recorded. */
  epochKept?: number;
  stoppedEarly: boolean;
  interrupted: boolean;
}

export function trainingStopOf(m: RunManifest): TrainingStop | undefined {
  const local = (m.extra?.local ?? undefined) as
    | { epochs?: { epoch?: unknown }[]; bestEpoch?: unknown; stoppedEarly?: unknown; interrupted?: unknown }
    | undefined;
  const epochs = Array.isArray(local?.epochs) ? local!.epochs.map((e) => e?.epoch).filter((e): e is number => typeof e === 'number') : [];
  if (epochs.length === 0) return undefined;
  const max = Number(m.hyperparameters?.epochs);
  return {
    epochsRun: Math.max(...epochs),
    maxEpochs: Number.isFinite(max) && max > 0 ? max : undefined,
    epochKept: typeof local!.bestEpoch === 'number' ? local!.bestEpoch : undefined,
    stoppedEarly: local!.stoppedEarly === true,
    interrupted: local!.interrupted === true,
  };
}

/** "stopped early at epoch 14 of 15, kept epoch 11" / "ran all 15 epochs, kept epoch 15". */
export function describeTrainingStop(s: TrainingStop): string {
  const of = s.maxEpochs !== undefined ? ` of ${s.maxEpochs}` : '';
  const how = s.interrupted
    ? `interrupted after epoch ${s.epochsRun}${of}`
    : s.stoppedEarly
      ? `stopped early at epoch ${s.epochsRun}${of} (no validation-loss improvement)`
      : `ran ${s.maxEpochs === s.epochsRun ? 'all ' : ''}${s.epochsRun} epoch${s.epochsRun === 1 ? '' : 's'}`;
  return s.epochKept !== undefined ? `${how}, kept epoch ${s.epochKept}` : how;
}
