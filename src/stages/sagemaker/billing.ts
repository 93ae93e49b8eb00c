/**
 * What SageMaker bills a run, also when a job fails: the billed instance-seconds of each job go
 * into the run manifest with the instance type they ran on, and the cost estimate is recomputed
 * from the dated price table of the run's region (see domain/instance-prices.ts).
 */
import { estimateCost, priceTableFor, PRICED_REGIONS } from '../../domain/instance-prices.js';
import type { RunPlan } from '../../domain/sagemaker-plan.js';
import type { RunRecorder } from '../../adapters/run-store.js';

/** Billed instance-seconds a failed wait reports (see waitForJobs), 0 when none. */
export function billedByFailure(e: unknown): number {
  const d = (e as { details?: Record<string, unknown> })?.details;
  const total = d?.billableSecondsTotal ?? d?.billableSeconds;
  return typeof total === 'number' ? total : 0;
}

/** Adds a job's billed instance-seconds (once per job) and refreshes the cost estimate. */
export async function recordBilled(plan: RunPlan, rec: RunRecorder, job: string, instanceType: string, seconds: number | undefined): Promise<void> {
  if (!seconds) return;
  const sm = rec.sagemaker();
  sm.billed ??= [];
  if (sm.billed.some((b) => b.job === job)) return;
  sm.billed.push({ job, instanceType, seconds });
  rec.manifest.billableSeconds = sm.billed.reduce((s, b) => s + b.seconds, 0);
  recordBilledCost(plan, rec);
  await rec.save();
}

/** Sets the manifest's cost estimate from its billed seconds; false when the region or a type has no price. */
export function recordBilledCost(plan: RunPlan, rec: RunRecorder): boolean {
  const billed = rec.manifest.sagemaker?.billed ?? [];
  const table = priceTableFor(plan.region);
  if (!table || billed.length === 0) return false;
  let usd = 0;
  for (const b of billed) {
    const c = estimateCost(b.instanceType, 1, b.seconds, plan.region);
    if (c === undefined) return false;
    usd += c;
  }
  const parts = billed.map((b) => `${b.seconds}s x ${b.instanceType}`).join(' + ');
  rec.manifest.costEstimate = {
    usd: Math.round(usd * 100) / 100,
    basis: `billable instance-seconds ${parts}, on-demand ${plan.region} estimate table of ${table.date}`,
    priceTableDate: table.date,
  };
  return true;
}

/** Why a run has no cost figure (region without a table). */
export function noPriceReason(region: string): string {
  return `no dated price table for ${region} (tables: ${PRICED_REGIONS.join(', ')})`;
}
