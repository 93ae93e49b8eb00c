/**
 * ESTIMATE TABLE, NOT A QUOTE. On-demand hourly prices (USD) of SageMaker ml.* instances for
 * training and batch transform in us-east-1, transcribed by hand from the public SageMaker pricing
 * page (https://aws.amazon.com/sagemaker/pricing/) as of PRICE_TABLE_DATE. Other regions cost
 * more or less, spot costs less, and AWS changes prices: digitflow uses these numbers only to say
 * "about how much could this cost" before anything is created. Check the pricing page for real money.
 *
 * The live source is the AWS Price List API (src/adapters/pricing/, asked once per command by the
 * SageMaker stages); this table is its fallback when the call is refused, times out or finds
 * nothing. Every estimate names its source (describePriceSource).
 */

/** When the numbers below were copied. Shown next to every estimate. */
export const PRICE_TABLE_DATE = '2024-06-01';
export const PRICE_TABLE_REGION = 'us-east-1';

/** USD per instance-hour, on-demand, us-east-1. */
export const INSTANCE_PRICES_USD_PER_HOUR: Readonly<Record<string, number>> = Object.freeze({
  'ml.t3.medium': 0.05,
  'ml.t3.large': 0.1,
  'ml.t3.xlarge': 0.2,
  'ml.m4.xlarge': 0.24,
  'ml.m4.2xlarge': 0.48,
  'ml.m4.4xlarge': 0.96,
  'ml.m5.large': 0.115,
  'ml.m5.xlarge': 0.23,
  'ml.m5.2xlarge': 0.461,
  'ml.m5.4xlarge': 0.922,
  'ml.m5.12xlarge': 2.765,
  'ml.m5.24xlarge': 5.53,
  'ml.c4.xlarge': 0.239,
  'ml.c4.2xlarge': 0.477,
  'ml.c5.xlarge': 0.204,
  'ml.c5.2xlarge': 0.408,
  'ml.c5.4xlarge': 0.816,
  'ml.c5.9xlarge': 1.836,
  'ml.c5.18xlarge': 3.672,
  'ml.p2.xlarge': 1.125,
  'ml.p3.2xlarge': 3.825,
  'ml.p3.8xlarge': 14.688,
  'ml.g4dn.xlarge': 0.736,
  'ml.g4dn.2xlarge': 0.94,
  'ml.g5.xlarge': 1.408,
  'ml.g5.2xlarge': 1.515,
});

/** A dated price table for one region. */
export interface PriceTable {
  region: string;
  date: string;
  usdPerHour: Readonly<Record<string, number>>;
}

/**
 * The regions with a dated table. Prices differ by region (often by 10-40%), so a region without
 * a table gets no estimate at all rather than another region's numbers.
 */
export const PRICE_TABLES: Readonly<Record<string, PriceTable>> = Object.freeze({
  [PRICE_TABLE_REGION]: {
    region: PRICE_TABLE_REGION,
    date: PRICE_TABLE_DATE,
    usdPerHour: INSTANCE_PRICES_USD_PER_HOUR,
  },
});

export const PRICED_REGIONS: readonly string[] = Object.keys(PRICE_TABLES);

/** The table for `region`, or undefined when digitflow ships none for it. */
export function priceTableFor(region: string): PriceTable | undefined {
  return PRICE_TABLES[region];
}

/**
 * Hourly on-demand estimate in `region` (default the us-east-1 table), or undefined for a type or region not in
 * a table.
 */
export function hourlyPrice(instanceType: string, region: string = PRICE_TABLE_REGION): number | undefined {
  return priceTableFor(region)?.usdPerHour[instanceType];
}

/** What a job is billed as: training (`<R>-Train:<type>`) or batch transform (`<R>-Tsform:<type>`). */
export type PricedJobKind = 'training' | 'transform';

/** Where an estimate's prices came from. */
export type PriceSourceKind = 'price-list-api' | 'shipped-table' | 'none';

/**
 * The prices one command uses, resolved once (by the stage) and then read by the plan, the dry run,
 * the billing and the manifest: the AWS Price List API's answer for the region, the shipped dated
 * table, or nothing. Only the instance types the command needs are carried.
 */
export interface PriceSource {
  region: string;
  source: PriceSourceKind;
  /** ISO date: the shipped table's date, or the day the Price List API was asked. */
  date?: string;
  /** USD per instance-hour, on-demand, per job kind (training and transform are separate usage types). */
  usdPerHour: { training: Readonly<Record<string, number>>; transform: Readonly<Record<string, number>> };
  /** Why the API was not used (refused, timed out, found nothing, not asked), in words. */
  reason?: string;
}

/** The shipped dated table as a source for `region` (the `none` source when no table exists for it). */
export function shippedPriceSource(region: string, reason?: string, instanceTypes?: readonly string[]): PriceSource {
  const table = priceTableFor(region);
  if (!table) return noPriceSource(region, reason);
  const pick = (types: readonly string[] | undefined): Record<string, number> =>
    types
      ? Object.fromEntries(types.filter((t) => table.usdPerHour[t] !== undefined).map((t) => [t, table.usdPerHour[t]]))
      : { ...table.usdPerHour };
  const usd = pick(instanceTypes);
  return {
    region,
    source: 'shipped-table',
    date: table.date,
    usdPerHour: { training: usd, transform: usd },
    ...(reason ? { reason } : {}),
  };
}

/** No figure for `region`. */
export function noPriceSource(region: string, reason?: string): PriceSource {
  return { region, source: 'none', usdPerHour: { training: {}, transform: {} }, ...(reason ? { reason } : {}) };
}

/** A Price List API answer as a source (`date` = the ISO day it was asked). */
export function livePriceSource(region: string, date: string, usdPerHour: PriceSource['usdPerHour']): PriceSource {
  return { region, source: 'price-list-api', date, usdPerHour };
}

/** USD per hour of `instanceType` for `kind` jobs in this source, or undefined. */
export function priceOf(
  prices: PriceSource,
  instanceType: string,
  kind: PricedJobKind = 'training',
): number | undefined {
  return prices.usdPerHour[kind][instanceType];
}

/** What to do for a real figure when digitflow has none. */
export const PRICE_HELP =
  'grant pricing:GetProducts to look prices up in the AWS Price ' +
  'List API, or see https://aws.amazon.com/sagemaker/pricing/';

/**
 * One line saying which prices apply, for the plan, `--dry-run` and the manifest:
 * "prices: AWS Price List API (eu-west-1, 2026-11-27)", "prices: shipped table for us-east-1 dated
 * 2024-06-01", or "no price figure for region X (why; how to get one)".
 */
export function describePriceSource(prices: PriceSource): string {
  const why = prices.reason ? ` (${prices.reason})` : '';
  if (prices.source === 'price-list-api') return `prices: AWS Price List API (${prices.region}, ${prices.date})`;
  if (prices.source === 'shipped-table') return `prices: shipped table for ${prices.region} dated ${prices.date}${why}`;
  const tables = PRICED_REGIONS.join(', ');
  return (
    `no price figure for region ${prices.region} ` +
    `(${prices.reason ? prices.reason + '; ' : ''}shipped tables: ${tables}; ${PRICE_HELP})`
  );
}

/**
 * USD for `seconds` on `count` instances, rounded to the cent; undefined if the type or region has
 * no price. The 4th argument is a region (its shipped table, default us-east-1) or a resolved
 * PriceSource; `kind` picks the training or the transform price.
 */
export function estimateCost(instanceType: string, count: number, seconds: number, region?: string): number | undefined;
export function estimateCost(
  instanceType: string,
  count: number,
  seconds: number,
  prices: PriceSource,
  kind?: PricedJobKind,
): number | undefined;
export function estimateCost(
  instanceType: string,
  count: number,
  seconds: number,
  where: string | PriceSource = PRICE_TABLE_REGION,
  kind: PricedJobKind = 'training',
): number | undefined {
  const price = typeof where === 'string' ? hourlyPrice(instanceType, where) : priceOf(where, instanceType, kind);
  if (price === undefined) return undefined;
  return Math.round(price * count * (seconds / 3600) * 100) / 100;
}
