import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError, readOptions } from '@failover/core';
import { emptyCounts, zeroCounts } from './counts.js';
import { faultHostname, registerFaultHost } from './dns-hook.js';
import type { ProxyState } from './handle.js';
import { type Random, seededRandom } from './rng.js';
import { LISTEN_HOST, ProxyServer } from './server.js';
import type { Fault, FaultFlavor, FaultProxy, FaultProxyOptions } from './types.js';
import { validateFault } from './validate.js';

const FLAVORS: readonly FaultFlavor[] = ['s3', 'gcs', 'azure', 'http'];
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
  const closing = new AbortController();
  // One listener per request in flight: any number of concurrent requests is normal, not a leak.
  setMaxListeners(0, closing.signal);
  // One fresh connection per forwarded request: a pooled connection that the target closed while
  // idle would fail the next request with a reset the test never asked for.
  const agent =
    target.protocol === 'https:'
      ? new https.Agent({ keepAlive: false })
      : new http.Agent({ keepAlive: false });
  let closed = false;
  const state: ProxyState = { target, flavor, agent, counts, held: new Set(), closing: closing.signal };
  const server = new ProxyServer(state, () => fault, random);

  /** Gives clients in this process a moment to see their dropped connections before the next call. */
  const settle = (): Promise<void> => sleep(5);

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
    port = await server.listen(requestedPort);
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
    server.drop('held');
    if (next.type === 'refuse') {
      await server.stop();
      await settle();
    } else if (next.type === 'dns') {
      server.drop('all');
      await settle();
    }
    if (next.type !== 'refuse' && !server.listening) await server.listen(port);
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
        await server.stop();
        server.drop('all');
        agent.destroy();
      })();
      return closePromise;
    },
  };
  if (fault.type === 'refuse') await server.stop();
  return proxy;
}
