import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a fake cloud answers: normally, or with `503 Service Unavailable` (a brown-out). */
export type CloudMode = 'up' | '503';

/** A local HTTP server standing for one cloud region. */
export interface FakeCloud {
  /** The region's name, e.g. `aws-us-east-1`. */
  readonly name: string;
  /** Its base URL on loopback. */
  readonly url: string;
  /** Requests it received. */
  readonly hits: () => number;
  /** Switches how it answers. */
  setMode(mode: CloudMode): void;
  /** Stops it (and drops keep-alive connections so the process can exit). */
  close(): Promise<void>;
}

/** Starts a local HTTP server for `name` on a free loopback port. `GET /greeting` answers JSON. */
export async function startFakeCloud(name: string): Promise<FakeCloud> {
  let mode: CloudMode = 'up';
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    if (mode === '503') {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '0' });
      res.end(`${name} is having a bad day`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ from: name, path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    setMode: (m) => {
      mode = m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
