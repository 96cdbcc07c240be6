import { setMaxListeners } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError, readOptions } from '@failover/core';
import { emptyCounts, zeroCounts } from './counts.js';
import { faultHostname, registerFaultHost } from './dns-hook.js';
import { resetSocket } from './forward.js';
import { handleFaulted, type ProxyState } from './handle.js';
import { pathOf } from './respond.js';
import { type Random, seededRandom } from './rng.js';
import { selectFault } from './select.js';
import type { Fault, FaultFlavor, FaultProxy, FaultProxyOptions, RequestInfo } from './types.js';
import { validateFault } from './validate.js';

const FLAVORS: readonly FaultFlavor[] = ['s3', 'gcs', 'azure', 'http'];
const LISTEN_HOST = '127.0.0.1';
const isFiniteNumber = (v: unknown): v is number => Number.isFinite(v);

function parseTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InvalidOptionError(
      'target',
      `must be an origin such as http://127.0.0.1:9000 (it does not parse)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError('target', `must be an http: or https: origin, got ${url.protocol}`);
  }
  return url;
}

/** The proxy's options, checked (a bad one throws an `InvalidOptionError` naming it). */
function readProxyOptions(options: FaultProxyOptions): {
  target: URL;
  flavor: FaultFlavor;
  seed: number | undefined;
  requestedPort: number;
  hostname: string | undefined;
  fault: Fault;
} {
  const r = readOptions(options);
  const target = parseTarget(
    r.string('target', { rule: 'an origin such as http://127.0.0.1:9000', required: true }),
  );
  const flavor = r.oneOf('flavor', FLAVORS, { default: 'http' });
  const seed = r.check('seed', isFiniteNumber, 'a finite number');
  const requestedPort = r.int('port', { min: 0, max: 65535, default: 0 });
  const hostnameOption = r.string('hostname', { rule: 'a DNS name' });
  const hostname = hostnameOption === undefined ? undefined : faultHostname(hostnameOption);
  const fault = validateFault((r.value('fault') as Fault | undefined) ?? { type: 'pass' });
  r.done();
  if (fault.type === 'dns' && hostname === undefined) {
    throw new InvalidOptionError('fault', 'the dns fault needs the proxy\'s "hostname" option');
  }
  return { target, flavor, seed, requestedPort, hostname, fault };
}

/**
 * Starts a fault-injection proxy on `127.0.0.1` in front of `options.target`. Point an SDK at
 * {@link FaultProxy.url} and switch what happens to its traffic at run time with
 * {@link FaultProxy.setFault}: pass, error statuses in the cloud's own format, latency, resets,
 * black holes, refused connections and DNS failures, each optionally partial (`probability`,
 * `match`) for brown-outs.
 *
 * @example
 * const proxy = await createFaultProxy({ target: s3.origin, flavor: 's3', hostname: 'aws-us-east-1' });
 * const client = s3.clientFor(proxy.url);
 * await proxy.setFault(faults.dns());          // the endpoint stops resolving
 * await proxy.setFault(faults.slowDown({ probability: 0.3 })); // brown-out
 * await proxy.close();
 */
export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { target, flavor, seed, requestedPort, hostname, fault: initial } = readProxyOptions(options);
  let fault = initial;
  const random: Random = seededRandom(seed ?? Math.floor(Math.random() * 2 ** 32));

  const counts = emptyCounts();
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();
  const closing = new AbortController();
  // One listener per request in flight: any number of concurrent requests is normal, not a leak.
  setMaxListeners(0, closing.signal);
  // One fresh connection per forwarded request: a pooled connection that the target closed while
  // idle would fail the next request with a reset the test never asked for.
  const agent =
    target.protocol === 'https:'
      ? new https.Agent({ keepAlive: false })
      : new http.Agent({ keepAlive: false });
  let listening = false;
  let closed = false;
  const state: ProxyState = { target, flavor, agent, counts, held, closing: closing.signal };

  // Clients keep their connections: idle ones are closed only after a minute, so a client's pool
  // rarely meets a connection the proxy closed. No request timeout: `blackhole` holds requests.
  const server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 });
  server.on('connection', (socket: Socket) => {
    counts.connections++;
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      held.delete(socket);
    });
    // Connections that bypass the name (clients using the IP origin) while it does not resolve.
    if (fault.type === 'dns') {
      counts.byFault.dns++;
      socket.resetAndDestroy();
    }
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    counts.total++;
    const current = fault;
    const info: RequestInfo = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: pathOf(req),
      url: req.url ?? '/',
      headers: req.headers,
    };
    const applied = selectFault(current, info, random);
    if (applied === undefined) {
      // `refuse` or `dns` began while this connection was open: drop it.
      counts.byFault[current.type as 'refuse' | 'dns']++;
      resetSocket(res);
      return;
    }
    counts.byFault[applied.type]++;
    handleFaulted(state, applied, req, res).catch(() => {
      if (!res.writableEnded) resetSocket(res);
    });
  });

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, LISTEN_HOST, () => {
        server.off('error', onError);
        listening = true;
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });

  const dropConnections = (which: Iterable<Socket>): void => {
    for (const socket of [...which]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  };

  /** Gives clients in this process a moment to see their dropped connections before the next call. */
  const settle = (): Promise<void> => sleep(5);

  const stopListening = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    const closedPromise = new Promise<void>((resolve) => server.close(() => resolve()));
    dropConnections(sockets);
    await closedPromise;
  };

  // Claim the name first: a name another open proxy holds is an error, before anything listens.
  const releaseHost =
    hostname === undefined
      ? () => undefined
      : registerFaultHost(hostname, {
          failing: () => fault.type === 'dns',
          onFailedLookup: () => {
            counts.total++;
            counts.byFault.dns++;
          },
        });
  let port: number;
  try {
    port = await listen(requestedPort);
  } catch (err) {
    releaseHost();
    agent.destroy();
    throw err;
  }

  let queue: Promise<void> = Promise.resolve();
  const applyFault = async (next: Fault): Promise<void> => {
    if (closed) throw new Error('fault proxy is closed');
    fault = next;
    // Requests held by `blackhole` and responses held by `stall` are dropped.
    if (held.size > 0) dropConnections(held);
    held.clear();
    if (next.type === 'refuse') {
      await stopListening();
      await settle();
    } else if (next.type === 'dns') {
      dropConnections(sockets);
      await settle();
    }
    if (next.type !== 'refuse' && !listening) await listen(port);
  };

  let closePromise: Promise<void> | undefined;
  const proxyHost = hostname ?? LISTEN_HOST;
  const proxy: FaultProxy = {
    origin: `http://${LISTEN_HOST}:${port}`,
    port,
    host: proxyHost,
    url: `http://${proxyHost}:${port}`,
    target: target.origin,
    get fault() {
      return fault;
    },
    counts,
    setFault(next: Fault): Promise<void> {
      let valid: Fault;
      try {
        valid = validateFault(next);
        if (valid.type === 'dns' && hostname === undefined) {
          throw new InvalidOptionError('fault', 'the dns fault needs the proxy\'s "hostname" option');
        }
      } catch (err) {
        return Promise.reject(err);
      }
      const run = queue.then(() => applyFault(valid));
      queue = run.catch(() => undefined);
      return run;
    },
    resetCounts() {
      zeroCounts(counts);
    },
    close(): Promise<void> {
      closePromise ??= (async () => {
        await queue;
        closed = true;
        releaseHost();
        closing.abort();
        await stopListening();
        dropConnections(sockets);
        agent.destroy();
      })();
      return closePromise;
    },
  };
  if (fault.type === 'refuse') await stopListening();
  return proxy;
}
