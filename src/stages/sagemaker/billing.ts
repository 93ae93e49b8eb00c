/**
 * What SageMaker bills a run, also when a job fails: the billed instance-seconds of each job go
 * into the run manifest with the instance type they ran on, and the cost estimate is recomputed
 * from the prices the command resolved once (resolvePrices): the AWS Price List API for the run's
 * region when it answers, else the shipped dated table (see domain/instance-prices.ts), else none.
 */
import { estimateCost, livePriceSource, shippedPriceSource, type PriceSource } from '../../domain/instance-prices.js';
import type { RunPlan } from '../../domain/sagemaker-plan.js';
import type { RunRecorder } from '../../adapters/run-store.js';
import type { StageDeps } from '../../runtime/deps.js';
import type { SageMakerDeps } from './deps.js';

/**
 * The prices this command uses for `instanceTypes` in `region`, asked once: the Price List API
 * (when the CLI gave a lookup; free, short timeout), else the shipped table for the region, else
 * none, each with the reason. Never fails a run: a refused or slow price call only costs the figure.
 */
export async function resolvePrices(
  region: string,
  instanceTypes: readonly string[],
  deps: StageDeps & Pick<Partial<SageMakerDeps>, 'prices' | 'pricesOff'>,
): Promise<PriceSource> {
  if (!deps.prices) return shippedPriceSource(region, deps.pricesOff, instanceTypes);
  deps.reporter.emit({
    kind: 'step',
    step: 'preflight',
    message: `asking the AWS Price List API for ${region} prices`,
  });
  const r = await deps.prices.lookup(region, instanceTypes, deps.signal);
  if (!r.ok) return shippedPriceSource(region, r.reason, instanceTypes);
  const day = new Date(deps.clock.now()).toISOString().slice(0, 10);
  return livePriceSource(region, day, { training: r.training, transform: r.transform });
}

/** Billed instance-seconds a failed wait reports (see waitForJobs), 0 when none. */
export function billedByFailure(e: unknown): number {
  const d = (e as { details?: Record<string, unknown> })?.details;
  const total = d?.billableSecondsTotal ?? d?.billableSeconds;
  return typeof total === 'number' ? total : 0;
}

/** Adds a job's billed instance-seconds (once per job) and refreshes the cost estimate. */
export async function recordBilled(
  plan: RunPlan,
  rec: RunRecorder,
  job: string,
  instanceType: string,
  seconds: number | undefined,
): Promise<void> {
  if (!seconds) return;
  const sm = rec.sagemaker();
  sm.billed ??= [];
  if (sm.billed.some((b) => b.job === job)) return;
  sm.billed.push({ job, instanceType, seconds });
  rec.manifest.billableSeconds = sm.billed.reduce((s, b) => s + b.seconds, 0);
  recordBilledCost(plan, rec);
  await rec.save();
}

/**
 * The prices a run's bill is priced with: those its command resolved (in the manifest), else the region's
 * shipped table.
 */
export function pricesOfRun(plan: RunPlan, rec: RunRecorder): PriceSource {
  const stored = rec.manifest.sagemaker?.prices;
  return stored && stored.region === plan.region ? stored : shippedPriceSource(plan.region);
}

/** Sets the manifest's cost estimate from its billed seconds; false when the region or a type has no price. */
export function recordBilledCost(plan: RunPlan, rec: RunRecorder): boolean {
  const billed = rec.manifest.sagemaker?.billed ?? [];
  const prices = pricesOfRun(plan, rec);
  if (prices.source === 'none' || billed.length === 0) return false;
  let usd = 0;
  for (const b of billed) {
    const c = estimateCost(
      b.instanceType,
      1,
      b.seconds,
      prices,
      b.job === plan.names.trainingJob ? 'training' : 'transform',
    );
    if (c === undefined) return false;
    usd += c;
  }
  const parts = billed.map((b) => `${b.seconds}s x ${b.instanceType}`).join(' + ');
  const from =
    prices.source === 'price-list-api'
      ? `AWS Price List API prices of ${prices.date}`
      : `estimate table of ${prices.date}`;
  rec.manifest.costEstimate = {
    usd: Math.round(usd * 100) / 100,
    basis: `billable instance-seconds ${parts}, on-demand ${plan.region} ${from}`,
    priceTableDate: prices.date,
    priceSource: sourceSummary(prices),
  };
  return true;
}

/** The manifest's short record of a price source. */
export function sourceSummary(prices: PriceSource): {
  source: PriceSource['source'];
  region: string;
  date?: string;
  reason?: string;
} {
  return {
    source: prices.source,
    region: prices.region,
    ...(prices.date ? { date: prices.date } : {}),
    ...(prices.reason ? { reason: prices.reason } : {}),
  };
}
