import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request a test server received. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real HTTP server on loopback for tests. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Requests received so far (complete ones: the body was read). */
  readonly requests: SeenRequest[];
  /** Requests whose connection closed before the response was sent (aborted by the client). */
  readonly aborted: SeenRequest[];
  close(): Promise<void>;
}

/** What a handler does; it gets the request with its body already read. */
export type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void | Promise<void>;

/** Starts a node:http server on 127.0.0.1 with a random port. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const aborted: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      res.on('close', () => {
        if (!res.writableFinished) aborted.push(seen);
      });
      Promise.resolve(handler(Object.assign(req, { body: seen.body }), res)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(599);
        res.end(String(err));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    aborted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A handler answering JSON `{ server: name, method, url }` with status 200. */
export function echo(name: string): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ server: name, method: req.method, url: req.url, body: req.body }));
  };
}

/** A handler answering with `status` (and optional headers) and a short text body. */
export function statusHandler(status: number, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(`status ${status}`);
  };
}

/** A port on loopback that nothing listens on (a server is started, and closed). */
export async function closedPort(): Promise<number> {
  const s = await startServer(echo('closed'));
  await s.close();
  return s.port;
}

/** A handler that never answers (the request is held until the client goes away). */
export function hang(): Handler {
  return () => {};
}

/** Resolves once `server` has received `count` requests. */
export async function requestsArrived(server: TestServer, count: number, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (server.requests.length < count) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`expected ${count} requests, saw ${server.requests.length}`);
    await new Promise((r) => setImmediate(r));
  }
}
