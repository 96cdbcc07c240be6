import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The regions the pricing API runs in. */
export const API_REGIONS = ['aws-us-east-1', 'aws-us-west-2', 'gcp'] as const;

/** One pricing API region. */
export type ApiRegion = (typeof API_REGIONS)[number];

/** One running region of the pricing API. */
export interface PricingServer {
  readonly region: ApiRegion;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  close(): Promise<void>;
}

/** The price of a SKU in cents: the same in every region, so a failover never changes a total. */
export function priceOf(sku: string): number {
  const h = createHash('sha256').update(sku).digest();
  return 199 + (h.readUInt32BE(0) % 9800);
}

/**
 * Starts one region of the small pricing API on loopback:
 *
 * - `GET /prices?skus=a,b` → `{ region, prices: { a: cents, b: cents } }`
 * - `POST /quotes` with an `Idempotency-Key` header and `{ items: [{ sku, qty }] }` → 201
 *   `{ region, quoteId, totalCents }`; the same key always gets the same quote back.
 */
export async function startPricingServer(region: ApiRegion): Promise<PricingServer> {
  const quotes = new Map<string, { quoteId: string; totalCents: number }>();
  let next = 1;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  function send(res: ServerResponse, status: number, body: object): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ region, ...body }));
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://pricing.local');
    if (req.method === 'GET' && url.pathname === '/prices') {
      const skus = (url.searchParams.get('skus') ?? '').split(',').filter((s) => s !== '');
      send(res, 200, { prices: Object.fromEntries(skus.map((s) => [s, priceOf(s)])) });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/quotes') {
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || key === '') {
        send(res, 400, { error: 'Idempotency-Key header required' });
        return;
      }
      let items: { sku: string; qty: number }[];
      try {
        items = (JSON.parse(body) as { items: { sku: string; qty: number }[] }).items;
      } catch {
        send(res, 400, { error: 'body must be JSON' });
        return;
      }
      let quote = quotes.get(key);
      if (quote === undefined) {
        quote = {
          quoteId: `${region}-q${next++}`,
          totalCents: items.reduce((sum, i) => sum + priceOf(i.sku) * i.qty, 0),
        };
        quotes.set(key, quote);
      }
      send(res, 201, quote);
      return;
    }
    send(res, 404, { error: 'not found' });
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    region,
    origin: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
