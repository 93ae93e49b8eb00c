/**
 * On-demand SageMaker prices from the AWS Price List Query API (`pricing:GetProducts`, ServiceCode
 * `AmazonSageMaker`), behind the PriceLookup interface the stages receive: stages never import the
 * SDK. The API lives only in us-east-1, eu-central-1 and ap-south-1 (any of them answers for every
 * region); the nearest one is used. It is free, so `--dry-run` may ask it. A lookup never throws for
 * a refusal, a timeout (short, a single retry) or an empty answer: it says why, and the caller falls
 * back to the shipped dated table.
 */
import { GetProductsCommand, PricingClient, type Filter, type PricingClientConfig } from '@aws-sdk/client-pricing';
import { pricesFromItems } from './price-items.js';

/** The regions with a Price List Query API endpoint (https://api.pricing.<region>.amazonaws.com). */
export const PRICING_API_REGIONS = ['us-east-1', 'eu-central-1', 'ap-south-1'] as const;

/** The Price List endpoint region nearest to `region` (the answer is the same from each). */
export function pricingEndpointRegion(region: string): (typeof PRICING_API_REGIONS)[number] {
  if (/^(eu|me|af|il)-/.test(region)) return 'eu-central-1';
  if (/^ap-/.test(region)) return 'ap-south-1';
  return 'us-east-1';
}

export const DEFAULT_PRICE_TIMEOUT_MS = 5000;

export type PriceLookupResult =
  | { ok: true; training: Record<string, number>; transform: Record<string, number>; items: number }
  | { ok: false; reason: string };

export interface PriceLookup {
  /** Training and transform prices of `instanceTypes` in `region`; `ok: false` says why there are none. */
  lookup(region: string, instanceTypes: readonly string[], signal?: AbortSignal): Promise<PriceLookupResult>;
}

export interface PricingConfig {
  /** The region whose prices are wanted: picks the nearest endpoint region. */
  region: string;
  /** Custom endpoint (loopback test server); undefined = real AWS. */
  endpoint?: string;
  credentials?: PricingClientConfig['credentials'];
  timeoutMs?: number;
}

/** Price List client: short timeouts, one retry at most (a price is never worth a long wait). */
export function createPricingClient(config: PricingConfig): PricingClient {
  const timeout = config.timeoutMs ?? DEFAULT_PRICE_TIMEOUT_MS;
  return new PricingClient({
    region: pricingEndpointRegion(config.region),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
  });
}

/** Why a call failed, in words for the plan ("… refused: AccessDeniedException …"). */
function reasonOf(e: unknown, timeoutMs: number, timedOut: boolean): string {
  const err = (e ?? {}) as { name?: string; message?: string };
  const name = err.name ?? 'Error';
  if (timedOut || name === 'AbortError' || name === 'TimeoutError' || /timed? ?out/i.test(err.message ?? '')) {
    return `the AWS Price List API did not answer within ${timeoutMs / 1000} s`;
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied')
    return 'the AWS Price List API refused: AccessDeniedException (the caller needs pricing:GetProducts)';
  if (name === 'CredentialsProviderError' || /credential/i.test(err.message ?? ''))
    return 'no AWS credentials to ask the AWS Price List API';
  return `the AWS Price List API failed: ${name}${err.message ? `: ${err.message.slice(0, 200)}` : ''}`;
}

/** PriceLookup over the real SDK client (one GetProducts query per instance type, NextToken pages followed). */
export function priceListLookup(
  client: PricingClient,
  opts: { timeoutMs?: number; maxPages?: number } = {},
): PriceLookup {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PRICE_TIMEOUT_MS;
  const maxPages = opts.maxPages ?? 10;
  return {
    async lookup(region, instanceTypes, signal) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      const abortSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
      try {
        const types = [...new Set(instanceTypes)];
        const pages = await Promise.all(
          types.map(async (type) => {
            const filters: Filter[] = [
              { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
              { Type: 'TERM_MATCH', Field: 'instanceName', Value: type },
            ];
            const items: string[] = [];
            let next: string | undefined;
            for (let page = 0; page < maxPages; page++) {
              const out = await client.send(
                new GetProductsCommand({
                  ServiceCode: 'AmazonSageMaker',
                  Filters: filters,
                  FormatVersion: 'aws_v1',
                  MaxResults: 100,
                  NextToken: next,
                }),
                { abortSignal },
              );
              items.push(...((out.PriceList ?? []) as unknown[]).map((p) => String(p)));
              next = out.NextToken;
              if (!next) break;
            }
            return items;
          }),
        );
        const all = pages.flat();
        const found = pricesFromItems(all, region, types);
        if (found.used === 0) {
          return {
            ok: false,
            reason:
              `the AWS Price List API has no on-demand training or transform price for ${types.join(', ')} in ` +
              `${region}`,
          };
        }
        return { ok: true, training: found.training, transform: found.transform, items: found.used };
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        return { ok: false, reason: reasonOf(e, timeoutMs, deadline.signal.aborted) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
