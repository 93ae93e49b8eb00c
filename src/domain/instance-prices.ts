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

/** Hourly on-demand estimate, or undefined for a type not in the table. */
export function hourlyPrice(instanceType: string): number | undefined {
  return INSTANCE_PRICES_USD_PER_HOUR[instanceType];
}

/** USD for `seconds` on `count` instances, rounded to the cent; undefined if the type is unknown. */
export function estimateCost(instanceType: string, count: number, seconds: number): number | undefined {
  const price = hourlyPrice(instanceType);
  if (price === undefined) return undefined;
  return Math.round(price * count * (seconds / 3600) * 100) / 100;
}
