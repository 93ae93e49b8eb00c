/**
 * Reads the AWS Price List Query API's `GetProducts` answer for SageMaker: each `PriceList` entry is
 * a JSON string `{product:{productFamily, attributes:{regionCode, instanceName, usagetype,
 * component, ...}}, terms:{OnDemand:{<offer>:{priceDimensions:{<rate>:{unit:'Hrs',
 * pricePerUnit:{USD:'0.1150000000'}}}}}}, publicationDate}`. One instance type in one region has
 * many items (notebook, Studio, training, spot training, processing, batch transform, hosting,
 * async inference, training-plan fees); the job kind is in the usage type: `<R>-Train:<type>` for
 * training, `<R>-Tsform:<type>` for batch transform (e.g. `USE1-Train:ml.m5.large`,
 * `EU-Tsform:ml.m5.large`). Anything else, or an item that is not an hourly USD rate, is skipped.
 */
import type { PricedJobKind } from '../../domain/instance-prices.js';

export interface PriceItem {
  kind: PricedJobKind;
  instanceType: string;
  /** USD per instance-hour, on-demand. */
  usdPerHour: number;
  regionCode?: string;
  usagetype: string;
  publicationDate?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `<region prefix>-Train:ml.x.y` / `-Tsform:` (us-east-1 usage types may also come without a prefix). */
const USAGE_RE = /^(?:[A-Z0-9]+-)?(Train|Tsform):(ml\.[a-z0-9-]+\.[a-z0-9]+)$/;

/** The job kind and instance type an item prices, from its usage type; undefined for every other usage. */
export function jobKindOfUsageType(usagetype: string): { kind: PricedJobKind; instanceType: string } | undefined {
  const m = USAGE_RE.exec(usagetype);
  if (!m) return undefined;
  return { kind: m[1] === 'Train' ? 'training' : 'transform', instanceType: m[2] };
}

/** The on-demand hourly USD rate(s) of an item (unit Hrs, a finite price above zero). */
function hourlyRates(item: Json): number[] {
  const rates: number[] = [];
  const onDemand = obj(obj(item.terms)?.OnDemand) ?? {};
  for (const offer of Object.values(onDemand)) {
    for (const dim of Object.values(obj(obj(offer)?.priceDimensions) ?? {})) {
      const d = obj(dim);
      if (!d || !/^hrs?$/i.test(str(d.unit) ?? '')) continue;
      const usd = Number(str(obj(d.pricePerUnit)?.USD));
      if (Number.isFinite(usd) && usd > 0) rates.push(usd);
    }
  }
  return rates;
}

/**
 * One `PriceList` entry (JSON string or parsed) → a training/transform hourly price, or undefined (other usage,
 * junk).
 */
export function parsePriceItem(entry: unknown): PriceItem | undefined {
  let item: Json | undefined;
  try {
    item = obj(typeof entry === 'string' ? JSON.parse(entry) : entry);
  } catch {
    return undefined;
  }
  const attrs = obj(obj(item?.product)?.attributes);
  if (!item || !attrs) return undefined;
  const usagetype = str(attrs.usagetype);
  const job = usagetype ? jobKindOfUsageType(usagetype) : undefined;
  if (!usagetype || !job) return undefined;
  // Outposts and Local Zones price the same names differently: only AWS Regions count.
  const locationType = str(attrs.locationType);
  if (locationType && locationType !== 'AWS Region') return undefined;
  const name = str(attrs.instanceName);
  if (name && name !== job.instanceType) return undefined;
  const rates = hourlyRates(item);
  if (rates.length === 0) return undefined;
  return {
    kind: job.kind,
    instanceType: job.instanceType,
    usdPerHour: Math.max(...rates),
    regionCode: str(attrs.regionCode),
    usagetype,
    publicationDate: str(item.publicationDate),
  };
}

/**
 * The training and transform prices of `instanceTypes` in `region` from a list of entries. Items of
 * another region or type are ignored; when several items price the same kind and type, the highest
 * wins (the plan's figure is an upper bound).
 */
export function pricesFromItems(
  entries: readonly unknown[],
  region: string,
  instanceTypes: readonly string[],
): { training: Record<string, number>; transform: Record<string, number>; used: number; skipped: number } {
  const wanted = new Set(instanceTypes);
  const out = { training: {} as Record<string, number>, transform: {} as Record<string, number>, used: 0, skipped: 0 };
  for (const entry of entries) {
    const p = parsePriceItem(entry);
    if (!p || !wanted.has(p.instanceType) || (p.regionCode !== undefined && p.regionCode !== region)) {
      out.skipped++;
      continue;
    }
    out.used++;
    const table = out[p.kind];
    table[p.instanceType] = Math.max(table[p.instanceType] ?? 0, p.usdPerHour);
  }
  return out;
}
