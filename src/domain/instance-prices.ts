/**
 * ESTIMATE TABLE, NOT A QUOTE. On-demand hourly prices (USD) of SageMaker ml.* instances for
 * training and batch transform in us-east-1, transcribed by hand from the public SageMaker pricing
 * page (https://aws.amazon.com/sagemaker/pricing/) as of PRICE_TABLE_DATE. Other regions cost
 * more or less, spot costs less, and AWS changes prices: digitflow uses these numbers only to say
 * "about how much could this cost" before anything is created. Check the pricing page for real money.
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
  [PRICE_TABLE_REGION]: { region: PRICE_TABLE_REGION, date: PRICE_TABLE_DATE, usdPerHour: INSTANCE_PRICES_USD_PER_HOUR },
});

export const PRICED_REGIONS: readonly string[] = Object.keys(PRICE_TABLES);

/** The table for `region`, or undefined when digitflow ships none for it. */
export function priceTableFor(region: string): PriceTable | undefined {
  return PRICE_TABLES[region];
}

/** Hourly on-demand estimate in `region` (default the us-east-1 table), or undefined for a type or region not in a table. */
export function hourlyPrice(instanceType: string, region: string = PRICE_TABLE_REGION): number | undefined {
  return priceTableFor(region)?.usdPerHour[instanceType];
}

/** USD for `seconds` on `count` instances in `region`, rounded to the cent; undefined if type or region is unknown. */
export function estimateCost(instanceType: string, count: number, seconds: number, region: string = PRICE_TABLE_REGION): number | undefined {
  const price = hourlyPrice(instanceType, region);
  if (price === undefined) return undefined;
  return Math.round(price * count * (seconds / 3600) * 100) / 100;
}
