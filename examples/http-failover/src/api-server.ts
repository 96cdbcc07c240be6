import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A tiny orders API, one per region, as the demo's backends. */
export interface ApiServer {
  readonly region: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the orders API for `region` on loopback:
 * `GET /orders/:id`, `PUT /orders/:id` (JSON body), `POST /orders` (201; the same
 * `Idempotency-Key` always gets the same order back). Every answer names the region.
 */
export async function startApiServer(region: string): Promise<ApiServer> {
  const created = new Map<string, string>();
  let next = 1;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ region, ...(body as object) }));
      };
      if (req.headers.authorization !== 'Bearer demo-token') return send(401, { error: 'unauthorized' });
      const path = (req.url ?? '').split('?')[0] ?? '';
      const id = /^\/orders\/([\w-]+)$/.exec(path)?.[1];
      if (req.method === 'GET' && id) return send(200, { id, status: 'shipped' });
      if (req.method === 'PUT' && id)
        return send(200, { id, ...JSON.parse(Buffer.concat(chunks).toString() || '{}') });
      if (req.method === 'POST' && path === '/orders') {
        const key = String(req.headers['idempotency-key'] ?? `anon-${next}`);
        const orderId = created.get(key) ?? `${region}-${next++}`;
        created.set(key, orderId);
        return send(201, { id: orderId });
      }
      return send(404, { error: 'not found' });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    region,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
