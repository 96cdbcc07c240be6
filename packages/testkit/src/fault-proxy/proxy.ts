import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '@failover/core';
import { faultHostname, registerFaultHost } from './dns-hook.js';
import { injectedResponse } from './error-bodies.js';
import { forwardRequest, resetSocket } from './forward.js';
import { type Random, seededRandom } from './rng.js';
import { selectFault } from './select.js';
import type {
  Fault,
  FaultFlavor,
  FaultProxy,
  FaultProxyOptions,
  FaultType,
  RequestFault,
  RequestInfo,
  StatusFault,
} from './types.js';
import { validateFault } from './validate.js';

const FLAVORS: readonly FaultFlavor[] = ['s3', 'gcs', 'azure', 'http'];
const FAULT_TYPES: readonly FaultType[] = ['pass', 'status', 'latency', 'reset', 'blackhole', 'refuse', 'dns'];
const LISTEN_HOST = '127.0.0.1';

interface MutableCounts {
  total: number;
  connections: number;
  forwarded: number;
  byFault: Record<FaultType, number>;
  byStatus: Record<number, number>;
}

function emptyByFault(): Record<FaultType, number> {
  return Object.fromEntries(FAULT_TYPES.map((t) => [t, 0])) as Record<FaultType, number>;
}

function parseTarget(target: unknown): URL {
  if (typeof target !== 'string') throw new InvalidOptionError('target', 'must be an origin such as http://127.0.0.1:9000');
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InvalidOptionError('target', `not a URL: ${JSON.stringify(target)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError('target', `must be http: or https:, got ${url.protocol}`);
  }
  return url;
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
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'must be an object with a target');
  }
  const target = parseTarget(options.target);
  const flavor = options.flavor ?? 'http';
  if (!FLAVORS.includes(flavor)) {
    throw new InvalidOptionError('flavor', `must be one of ${FLAVORS.join(', ')}, got ${JSON.stringify(flavor)}`);
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new InvalidOptionError('seed', 'must be a finite number');
  }
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new InvalidOptionError('port', 'must be an integer from 0 to 65535');
  }
  const hostname = options.hostname === undefined ? undefined : faultHostname(options.hostname);
  let fault: Fault = validateFault(options.fault ?? { type: 'pass' });
  if (fault.type === 'dns' && hostname === undefined) {
    throw new InvalidOptionError('fault', 'the dns fault needs the proxy\'s "hostname" option');
  }
  const random: Random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));

  const counts: MutableCounts = { total: 0, connections: 0, forwarded: 0, byFault: emptyByFault(), byStatus: {} };
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();
  const closing = new AbortController();
  const agent = new http.Agent({ keepAlive: true });
  let listening = false;
  let closed = false;

  const countStatus = (status: number): void => {
    counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
  };

  const server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 5_000 });
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
    const url = req.url ?? '/';
    const info: RequestInfo = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.split('?')[0] ?? '/',
      url,
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
    handle(applied, req, res).catch(() => {
      if (!res.writableEnded) resetSocket(res);
    });
  });

  const requestSignal = (res: ServerResponse): AbortSignal => {
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    res.once('close', abort);
    closing.signal.addEventListener('abort', abort, { once: true });
    res.once('close', () => closing.signal.removeEventListener('abort', abort));
    return controller.signal;
  };

  const answer = async (applied: StatusFault, req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => {
    // Read and drop the body, so the client can finish sending before it reads the answer.
    req.resume();
    if (!req.complete) {
      await new Promise<void>((resolve) => {
        req.once('end', resolve);
        req.once('close', resolve);
      });
    }
    if (applied.delayMs) await sleep(applied.delayMs, undefined, { signal });
    if (res.destroyed) return;
    const response = injectedResponse(applied, flavor, req.url?.split('?')[0] ?? '/');
    countStatus(response.status);
    res.writeHead(response.status, {
      ...response.headers,
      'content-length': String(response.body.length),
    });
    res.end(response.body);
  };

  async function handle(applied: RequestFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signal = requestSignal(res);
    try {
      switch (applied.type) {
        case 'status':
          await answer(applied, req, res, signal);
          return;
        case 'blackhole':
          req.pause();
          held.add(req.socket);
          return;
        case 'reset':
          if (applied.afterBytes === undefined) {
            if (applied.delayMs) await sleep(applied.delayMs, undefined, { signal });
            resetSocket(res);
            return;
          }
          break;
        case 'latency':
          await sleep(applied.ms, undefined, { signal });
          break;
        case 'pass':
          break;
      }
      counts.forwarded++;
      await forwardRequest({
        req,
        res,
        target,
        agent,
        signal,
        shaping: {
          perChunkMs: applied.type === 'latency' ? applied.perChunkMs : undefined,
          bytesPerSecond: applied.type === 'latency' ? applied.bytesPerSecond : undefined,
          resetAfterBytes: applied.type === 'reset' ? applied.afterBytes : undefined,
        },
        onStatus: countStatus,
        onUnreachable: (err) => {
          const code = (err as NodeJS.ErrnoException).code ?? err.name;
          const response = injectedResponse(
            { type: 'status', status: 502, message: `fault proxy: target unreachable (${code})` },
            flavor,
            req.url?.split('?')[0] ?? '/',
          );
          countStatus(502);
          res.writeHead(502, {
            ...response.headers,
            'content-length': String(response.body.length),
            'x-fault-proxy-error': code,
          });
          res.end(response.body);
        },
      });
    } catch (err) {
      if ((err as { name?: string }).name === 'AbortError') return;
      throw err;
    }
  }

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

  const port = await listen(requestedPort);
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

  let queue: Promise<void> = Promise.resolve();
  const applyFault = async (next: Fault): Promise<void> => {
    if (closed) throw new Error('fault proxy is closed');
    const previous = fault;
    fault = next;
    if (previous.type === 'blackhole' || previous.type === 'mix') dropConnections(held);
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
      counts.total = 0;
      counts.connections = 0;
      counts.forwarded = 0;
      for (const type of FAULT_TYPES) counts.byFault[type] = 0;
      for (const status of Object.keys(counts.byStatus)) delete counts.byStatus[Number(status)];
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
