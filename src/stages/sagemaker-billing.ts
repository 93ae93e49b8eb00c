/**
 * What SageMaker bills a run, also when a job fails: the billed instance-seconds go into the run
 * manifest with a cost estimate from the dated on-demand table (see domain/instance-prices.ts).
 */
import { estimateCost, PRICE_TABLE_DATE, PRICE_TABLE_REGION } from '../domain/instance-prices.js';
import type { RunPlan } from '../domain/sagemaker-plan.js';
import type { ManifestRecorder } from './sagemaker-deps.js';

/** Billed instance-seconds a failed wait reports (see waitForJobs), 0 when none. */
export function billedByFailure(e: unknown): number {
  const d = (e as { details?: Record<string, unknown> })?.details;
  const total = d?.billableSecondsTotal ?? d?.billableSeconds;
  return typeof total === 'number' ? total : 0;
}

/** Sets the manifest's cost estimate from its billed seconds (dated on-demand table); false for an unknown instance type. */
export function recordBilledCost(plan: RunPlan, rec: ManifestRecorder): boolean {
  const billed = rec.manifest.billableSeconds ?? 0;
  const usd = estimateCost(plan.training.instanceType, 1, billed);
  if (usd === undefined) return false;
  rec.manifest.costEstimate = {
    usd,
    basis: `${billed} billable instance-seconds x ${plan.training.instanceType} on-demand (${PRICE_TABLE_REGION} estimate table of ${PRICE_TABLE_DATE}${plan.region === PRICE_TABLE_REGION ? '' : `; ${plan.region} prices differ`})`,
    priceTableDate: PRICE_TABLE_DATE,
  };
  return true;
}
