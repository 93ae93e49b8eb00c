/**
 * A loopback AWS Price List Query API for tests: JSON 1.1 over `POST /` with
 * `X-Amz-Target: AWSPriceListService.GetProducts`, as `@aws-sdk/client-pricing` sends it. It answers
 * from a small fixture of real-shaped SageMaker price items (the shape of the service's `PriceList`
 * strings: product.attributes with regionCode/instanceName/usagetype, terms.OnDemand.*.priceDimensions
 * .*.pricePerUnit.USD), applies TERM_MATCH filters, pages with NextToken, and can refuse every call
 * with AccessDeniedException or never answer (timeouts). Only listens on 127.0.0.1.
 *
 * The prices are TEST FIGURES chosen for the tests (training and transform differ on purpose so a
 * test sees which one was used), not AWS quotes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LOCATIONS: Record<string, [string, string]> = {
  'us-east-1': ['US East (N. Virginia)', 'USE1'],
  'eu-west-1': ['EU (Ireland)', 'EU'],
  'ap-south-1': ['Asia Pacific (Mumbai)', 'APS3'],
};

/** What a usage-type component means in the fixture (the `platoinstancetype`/`component` of the item). */
const COMPONENTS: Record<string, string> = {
  Train: 'Training',
  Tsform: 'BatchTransform',
  Host: 'Hosting',
  Notebk: 'Notebook',
  TrSpt: 'SpotTraining',
};

let skuSeq = 0;

/** One real-shaped SageMaker price item (a `PriceList` entry before JSON.stringify). */
export function sageMakerPriceItem(
  region: string,
  usage: string,
  instanceType: string,
  usd: string,
  extra: { unit?: string; locationType?: string } = {},
): Json {
  const [location, prefix] = LOCATIONS[region] ?? [region, region.toUpperCase()];
  const sku = `TESTSKU${String(++skuSeq).padStart(9, '0')}`;
  const offer = `${sku}.JRTCKXETXF`;
  const rate = `${offer}.6YS6EN2CT7`;
  return {
    product: {
      productFamily: 'ML Instance',
      attributes: {
        servicecode: 'AmazonSageMaker',
        servicename: 'Amazon SageMaker',
        location,
        locationType: extra.locationType ?? 'AWS Region',
        regionCode: region,
        instanceName: instanceType,
        instanceType: `${instanceType}-${(COMPONENTS[usage] ?? usage).toLowerCase()}`,
        usagetype: `${prefix}-${usage}:${instanceType}`,
        operation: 'RunInstance',
        component: COMPONENTS[usage] ?? usage,
        platoinstancetype: COMPONENTS[usage] ?? usage,
        vCpu: '2',
        memory: '8 GiB',
      },
      sku,
    },
    serviceCode: 'AmazonSageMaker',
    terms: {
      OnDemand: {
        [offer]: {
          priceDimensions: {
            [rate]: {
              unit: extra.unit ?? 'Hrs',
              endRange: 'Inf',
              description: `$${usd} per ${usage} hour for ${instanceType} in ${location}`,
              appliesTo: [],
              rateCode: rate,
              beginRange: '0',
              pricePerUnit: { USD: usd },
            },
          },
          sku,
          effectiveDate: '2026-11-01T00:00:00Z',
          offerTermCode: 'JRTCKXETXF',
          termAttributes: {},
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  };
}

/**
 * The default fixture: ml.m5.large and ml.c5.xlarge in eu-west-1 and us-east-1, several usage types each, plus
 * junk.
 */
export function defaultPriceItems(): Json[] {
  return [
    sageMakerPriceItem('eu-west-1', 'Notebk', 'ml.m5.large', '0.1280000000'),
    sageMakerPriceItem('eu-west-1', 'Train', 'ml.m5.large', '0.1280000000'),
    sageMakerPriceItem('eu-west-1', 'TrSpt', 'ml.m5.large', '0.0384000000'),
    sageMakerPriceItem('eu-west-1', 'Tsform', 'ml.m5.large', '0.1310000000'),
    sageMakerPriceItem('eu-west-1', 'Host', 'ml.m5.large', '0.1280000000'),
    // A one-off fee, not an hourly rate.
    sageMakerPriceItem('eu-west-1', 'TrainingPlanUpfrontFee', 'ml.m5.large', '13.5700000000', { unit: 'Quantity' }),
    sageMakerPriceItem('eu-west-1', 'Train', 'ml.c5.xlarge', '0.2300000000'),
    sageMakerPriceItem('eu-west-1', 'Tsform', 'ml.c5.xlarge', '0.2300000000'),
    sageMakerPriceItem('us-east-1', 'Train', 'ml.m5.large', '0.1150000000'),
    sageMakerPriceItem('us-east-1', 'Tsform', 'ml.m5.large', '0.1150000000'),
    sageMakerPriceItem('us-east-1', 'Host', 'ml.m5.large', '0.1150000000'),
  ];
}

export interface PricingTestServer {
  endpoint: string;
  /** Every GetProducts request body received. */
  requests: Json[];
  /** The fixture (mutable). */
  items: Json[];
  /** Every call answers AccessDeniedException (true) or normally (false). */
  denyAll(on: boolean): void;
  /** Every call hangs without an answer (for timeouts). */
  hangAll(on: boolean): void;
  close(): Promise<void>;
}

/**
 * TERM_MATCH/EQUALS: the attribute (or ServiceCode/productFamily) equals the value, case-insensitively as the
 * service does.
 */
function matches(item: Json, filter: { Type?: string; Field?: string; Value?: string }): boolean {
  const field = filter.Field ?? '';
  const value =
    field.toLowerCase() === 'servicecode'
      ? item.serviceCode
      : field === 'productFamily'
        ? item.product.productFamily
        : item.product.attributes[field];
  return typeof value === 'string' && value.toLowerCase() === String(filter.Value ?? '').toLowerCase();
}

export async function startPricingServer(opts: { pageSize?: number; items?: Json[] } = {}): Promise<PricingTestServer> {
  const requests: Json[] = [];
  const items = opts.items ?? defaultPriceItems();
  const pageSize = opts.pageSize ?? 2;
  let deny = false;
  let hang = false;
  const hanging = new Set<ServerResponse>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: Json, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(body));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || req.url !== '/' || target !== 'AWSPriceListService.GetProducts') {
      return send(
        400,
        { __type: 'UnknownOperationException', message: `unsupported ${target}` },
        'UnknownOperationException',
      );
    }
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
      return send(
        400,
        { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
        'MissingAuthenticationTokenException',
      );
    }
    let body: Json;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return send(400, { __type: 'SerializationException', message: 'bad JSON' }, 'SerializationException');
    }
    requests.push(body);
    if (hang) {
      hanging.add(res);
      return;
    }
    if (deny) {
      return send(
        400,
        {
          __type: 'AccessDeniedException',
          Message: 'User: arn:aws:iam::123456789012:user/test is not authorized to perform: pricing:GetProducts',
        },
        'AccessDeniedException',
      );
    }
    if (typeof body.ServiceCode !== 'string' || !body.ServiceCode) {
      return send(
        400,
        { __type: 'InvalidParameterException', Message: 'ServiceCode is required' },
        'InvalidParameterException',
      );
    }
    const found = items.filter(
      (it) =>
        matches(it, { Field: 'ServiceCode', Value: body.ServiceCode }) &&
        (body.Filters ?? []).every((f: Json) => matches(it, f)),
    );
    const size = Math.min(pageSize, Number(body.MaxResults ?? 100));
    const start = body.NextToken ? Number(String(body.NextToken).replace(/^page-/, '')) : 0;
    if (!Number.isInteger(start) || start < 0 || start > found.length) {
      return send(
        400,
        { __type: 'InvalidNextTokenException', Message: 'The pagination token is invalid' },
        'InvalidNextTokenException',
      );
    }
    const page = found.slice(start, start + size);
    const next = start + size < found.length ? `page-${start + size}` : undefined;
    send(200, {
      FormatVersion: 'aws_v1',
      PriceList: page.map((p) => JSON.stringify(p)),
      ...(next ? { NextToken: next } : {}),
    });
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    items,
    denyAll: (on) => void (deny = on),
    hangAll: (on) => void (hang = on),
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
