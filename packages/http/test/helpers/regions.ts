import { createFaultProxy, type FaultProxy } from '@failover/testkit';
import type { Endpoint } from '../../src/index.js';
import { echo, type Handler, startServer, type TestServer } from './server.js';

let counter = 0;

/** One region: a real HTTP server behind a fault proxy with its own `failover.test` host name. */
export interface Region {
  readonly name: string;
  readonly server: TestServer;
  readonly proxy: FaultProxy;
  readonly endpoint: Endpoint;
}

/** Several regions and a way to stop them all. */
export interface Regions {
  readonly list: readonly Region[];
  readonly endpoints: Endpoint[];
  get(name: string): Region;
  close(): Promise<void>;
}

/**
 * Starts one server + fault proxy per name. Each server answers with `handler(name)` (default:
 * JSON echo naming the server); each endpoint's base URL is the proxy's `failover.test` URL, so
 * the proxy's `dns` fault works.
 */
export async function startRegions(
  names: readonly string[],
  handler: (name: string) => Handler = echo,
): Promise<Regions> {
  const list: Region[] = [];
  try {
    for (const name of names) {
      const server = await startServer(handler(name));
      const proxy = await createFaultProxy({
        target: server.url,
        flavor: 'http',
        hostname: `${name}-${++counter}`,
      }).catch(async (err: unknown) => {
        await server.close();
        throw err;
      });
      list.push({ name, server, proxy, endpoint: { name, baseURL: proxy.url } });
    }
  } catch (err) {
    await closeAll(list);
    throw err;
  }
  return {
    list,
    endpoints: list.map((r) => r.endpoint),
    get(name) {
      const r = list.find((x) => x.name === name);
      if (!r) throw new Error(`no region ${name}`);
      return r;
    },
    close: () => closeAll(list),
  };
}

async function closeAll(list: readonly Region[]): Promise<void> {
  await Promise.all(
    list.map(async (r) => {
      await r.proxy.close();
      await r.server.close();
    }),
  );
}
