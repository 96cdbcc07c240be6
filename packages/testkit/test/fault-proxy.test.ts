import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { classifyFailure, failedBeforeSending, InvalidOptionError } from '@failover/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createFaultProxy,
  type Fault,
  type FaultProxy,
  faults,
  installFaultDns,
  isFaultDnsInstalled,
  seededRandom,
  setDnsFault,
  uninstallFaultDns,
} from '../src/fault-proxy/index.js';

/** A real HTTP server that records what reaches it. */
interface Upstream {
  origin: string;
  seen: { method: string; url: string; body: string }[];
  close(): Promise<void>;
}

const BIG = Buffer.alloc(256 * 1024, 'abcdefgh');

async function startUpstream(): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    seen.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString() });
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
      res.end(BIG);
      return;
    }
    if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('nope');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
    res.end(`hello ${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http (its own agent, so keep-alive never hides a fault). */
function request(
  url: string,
  options: { method?: string; body?: string; signal?: AbortSignal; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', signal: options.signal, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function failure(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: NodeJS.ErrnoException) => err,
  );
}

/**
 * Resolves once every socket has closed. Not `events.once(socket, 'close')`: that rejects on the
 * ECONNRESET a dropped connection raises, which on a loaded machine arrives after the wait began
 * (the agent's own listener handles that error).
 */
function untilClosed(sockets: readonly (Socket | undefined)[]): Promise<unknown> {
  return Promise.all(
    sockets.map((s) =>
      s === undefined || s.destroyed ? undefined : new Promise((closed) => s.once('close', closed)),
    ),
  );
}

let upstream: Upstream;
const proxies: FaultProxy[] = [];

async function proxyFor(options: Partial<Parameters<typeof createFaultProxy>[0]> = {}): Promise<FaultProxy> {
  const proxy = await createFaultProxy({ target: upstream.origin, ...options });
  proxies.push(proxy);
  return proxy;
}

beforeAll(async () => {
  upstream = await startUpstream();
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  upstream.seen.length = 0;
});
afterAll(async () => {
  await upstream.close();
});

describe('createFaultProxy: pass', () => {
  it('forwards method, path, query, body and headers both ways, and counts', async () => {
    const proxy = await proxyFor();
    expect(proxy.origin).toBe(`http://127.0.0.1:${proxy.port}`);
    expect(proxy.url).toBe(proxy.origin);
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.target).toBe(upstream.origin);

    const reply = await request(`${proxy.url}/a/b?x=1`, { method: 'PUT', body: 'payload' });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-upstream']).toBe('yes');
    expect(reply.body).toBe('hello PUT /a/b?x=1 payload');
    expect(upstream.seen).toEqual([{ method: 'PUT', url: '/a/b?x=1', body: 'payload' }]);

    const missing = await request(`${proxy.url}/missing`);
    expect(missing.status).toBe(404);
    expect(proxy.counts.total).toBe(2);
    expect(proxy.counts.forwarded).toBe(2);
    expect(proxy.counts.byFault.pass).toBe(2);
    expect(proxy.counts.byStatus).toEqual({ 200: 1, 404: 1 });

    proxy.resetCounts();
    expect(proxy.counts.total).toBe(0);
    expect(proxy.counts.byFault.pass).toBe(0);
    expect(proxy.counts.byStatus).toEqual({});
  });

  it('streams large bodies intact over keep-alive connections', async () => {
    const proxy = await proxyFor();
    const agent = new http.Agent({ keepAlive: true });
    try {
      for (let i = 0; i < 3; i++) {
        const reply = await request(`${proxy.url}/big`, { agent });
        expect(reply.body).toBe(BIG.toString());
      }
      expect(proxy.counts.connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('answers 502 in the flavor format when the target cannot be reached', async () => {
    const dead = await startUpstream();
    await dead.close();
    const proxy = await createFaultProxy({ target: dead.origin, flavor: 's3' });
    proxies.push(proxy);
    const reply = await request(`${proxy.url}/bucket/key`);
    expect(reply.status).toBe(502);
    expect(reply.headers['x-fault-proxy-error']).toBe('ECONNREFUSED');
    expect(reply.body).toContain('<Code>BadGateway</Code>');
    expect(proxy.counts.byStatus[502]).toBe(1);
  });
});

describe('createFaultProxy: status', () => {
  it('answers with the status without forwarding, after reading the request body', async () => {
    const proxy = await proxyFor({ fault: faults.status(503) });
    const reply = await request(`${proxy.url}/x`, { method: 'POST', body: 'z'.repeat(100_000) });
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('503 Service Unavailable');
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.counts.byFault.status).toBe(1);
    expect(proxy.counts.forwarded).toBe(0);
    expect(proxy.counts.byStatus[503]).toBe(1);
  });

  it('uses the fault body and headers as given, and Retry-After for 429', async () => {
    const proxy = await proxyFor({
      fault: {
        type: 'status',
        status: 418,
        body: 'teapot',
        headers: { 'X-Why': 'tea' },
        retryAfterSeconds: 3,
      },
    });
    const reply = await request(proxy.url);
    expect(reply).toMatchObject({ status: 418, body: 'teapot' });
    expect(reply.headers['x-why']).toBe('tea');
    expect(reply.headers['retry-after']).toBe('3');

    await proxy.setFault(faults.throttle(7));
    const throttled = await request(proxy.url);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('7');

    await proxy.setFault(faults.status(429));
    expect((await request(proxy.url)).headers['retry-after']).toBe('1');
  });

  it('imitates each cloud: S3 XML, Azure XML + x-ms-error-code, GCS JSON', async () => {
    const s3 = await proxyFor({ flavor: 's3', fault: faults.slowDown() });
    const s3Reply = await request(`${s3.url}/bucket/key`);
    expect(s3Reply.status).toBe(503);
    expect(s3Reply.headers['content-type']).toBe('application/xml');
    expect(s3Reply.body).toMatch(/<Error><Code>SlowDown<\/Code><Message>[^<]+<\/Message>/);
    await s3.setFault(faults.serverError());
    expect((await request(s3.url)).body).toContain('<Code>InternalError</Code>');
    await s3.setFault(faults.slowDown({ code: 'ServiceUnavailable', message: 'Reduce' }));
    expect((await request(s3.url)).body).toContain(
      '<Code>ServiceUnavailable</Code><Message>Reduce</Message>',
    );

    const azure = await proxyFor({ flavor: 'azure', fault: faults.slowDown() });
    const azureReply = await request(azure.url);
    expect(azureReply.status).toBe(503);
    expect(azureReply.headers['x-ms-error-code']).toBe('ServerBusy');
    expect(azureReply.body).toContain('<Code>ServerBusy</Code>');

    const gcs = await proxyFor({ flavor: 'gcs', fault: faults.throttle(2) });
    const gcsReply = await request(gcs.url);
    expect(gcsReply.status).toBe(429);
    expect(gcsReply.headers['retry-after']).toBe('2');
    const json = JSON.parse(gcsReply.body) as { error: { code: number; errors: { reason: string }[] } };
    expect(json.error.code).toBe(429);
    expect(json.error.errors[0]?.reason).toBe('rateLimitExceeded');
  });
});

describe('createFaultProxy: latency, blackhole, reset', () => {
  it('latency holds the request before forwarding it, then forwards it', async () => {
    const proxy = await proxyFor({ fault: faults.latency(600_000) });
    const controller = new AbortController();
    const pending = failure(request(proxy.url, { signal: controller.signal }));
    await vi.waitFor(() => expect(proxy.counts.byFault.latency).toBe(1));
    expect(upstream.seen).toHaveLength(0);
    controller.abort();
    expect((await pending).name).toBe('AbortError');
    expect(upstream.seen).toHaveLength(0);

    await proxy.setFault(faults.latency(5, { perChunkMs: 1, bytesPerSecond: 4 * 1024 * 1024 }));
    const reply = await request(`${proxy.url}/big`);
    expect(reply.body).toBe(BIG.toString());
    expect(proxy.counts.forwarded).toBe(1);
  });

  it('blackhole never answers: the client gives up on its own; the next fault drops held sockets', async () => {
    const proxy = await proxyFor({ fault: faults.blackhole() });
    const err = await failure(request(proxy.url, { signal: AbortSignal.timeout(150) }));
    expect(err.name).toBe('AbortError');
    expect(classifyFailure(err)).toBe('timeout');
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.counts.byFault.blackhole).toBe(1);

    // A request still held when the fault changes sees its connection dropped.
    const held = failure(request(proxy.url));
    await vi.waitFor(() => expect(proxy.counts.byFault.blackhole).toBe(2));
    await proxy.setFault(faults.pass());
    expect((await held).code).toBe('ECONNRESET');
    expect((await request(proxy.url)).status).toBe(200);
  });

  it('reset drops the connection: ECONNRESET, classified network, maybe sent', async () => {
    const proxy = await proxyFor({ fault: faults.reset() });
    const err = await failure(request(proxy.url, { method: 'PUT', body: 'data' }));
    expect(err.code).toBe('ECONNRESET');
    expect(classifyFailure(err)).toBe('network');
    expect(failedBeforeSending(err)).toBe(false);
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.counts.byFault.reset).toBe(1);
  });

  it('reset with afterBytes cuts the response body in the middle', async () => {
    const proxy = await proxyFor({ fault: faults.reset({ afterBytes: 1000 }) });
    const received: Buffer[] = [];
    const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      http
        .get(`${proxy.url}/big`, { agent: false }, (res) => {
          expect(res.statusCode).toBe(200);
          res.on('data', (c: Buffer) => received.push(c));
          res.on('error', resolve);
          res.on('end', () => reject(new Error('the body should not end normally')));
        })
        .on('error', resolve);
    });
    expect(err.code).toBe('ECONNRESET');
    expect(Buffer.concat(received).length).toBeLessThan(BIG.length);
    expect(upstream.seen).toHaveLength(1);
  });
});

describe('createFaultProxy: corrupt', () => {
  /** GET /big through the proxy, read whole. */
  function getBig(proxy: FaultProxy): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      http
        .get(`${proxy.url}/big`, { agent: false }, (res) => {
          expect(res.statusCode).toBe(200);
          expect(Number(res.headers['content-length'])).toBe(BIG.length);
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve(Buffer.concat(chunks)));
        })
        .on('error', reject);
    });
  }

  it('flips every bit of the one byte at afterBytes: the right length, one byte wrong', async () => {
    for (const at of [0, 1, 70_000, BIG.length - 1]) {
      const proxy = await proxyFor({ fault: faults.corrupt({ afterBytes: at }) });
      const body = await getBig(proxy);
      expect(body.length).toBe(BIG.length);
      const wrong = [...body.keys()].filter((i) => body[i] !== BIG[i]);
      expect(wrong).toEqual([at]);
      expect(body[at]).toBe(BIG[at]! ^ 0xff);
      expect(proxy.counts.byFault.corrupt).toBe(1);
    }
  });

  it('leaves a body too short to reach the offset unchanged, and requests it does not match alone', async () => {
    const past = await proxyFor({ fault: faults.corrupt({ afterBytes: BIG.length }) });
    expect((await getBig(past)).equals(BIG)).toBe(true);
    const other = await proxyFor({ fault: faults.corrupt({ match: { path: '/elsewhere' } }) });
    expect((await getBig(other)).equals(BIG)).toBe(true);
    expect(other.counts.byFault.corrupt).toBe(0);
  });

  it('refuses a negative offset, naming the field', async () => {
    const proxy = await proxyFor({});
    await expect(proxy.setFault({ type: 'corrupt', afterBytes: -1 })).rejects.toThrow(/fault\.afterBytes/);
  });
});

describe('createFaultProxy: cut and stall mid-body', () => {
  /** GET /big through the proxy; what arrived and how the body ended. */
  function readBig(proxy: FaultProxy): Promise<{ bytes: number; ended: 'end' | 'error'; code?: string }> {
    return new Promise((resolve, reject) => {
      let bytes = 0;
      http
        .get(`${proxy.url}/big`, { agent: false }, (res) => {
          expect(res.statusCode).toBe(200);
          expect(Number(res.headers['content-length'])).toBe(BIG.length);
          res.on('data', (c: Buffer) => {
            bytes += c.length;
          });
          res.on('error', (err: NodeJS.ErrnoException) => resolve({ bytes, ended: 'error', code: err.code }));
          res.on('end', () => resolve({ bytes, ended: 'end' }));
        })
        .on('error', reject);
    });
  }

  it('cut closes the connection cleanly after afterBytes: a short body, never a complete one', async () => {
    const proxy = await proxyFor({ fault: faults.cut({ afterBytes: 1000 }) });
    const outcome = await readBig(proxy);
    expect(outcome.ended).toBe('error');
    expect(outcome.bytes).toBe(1000);
    expect(upstream.seen).toHaveLength(1);
    expect(proxy.counts.byFault.cut).toBe(1);
  });

  it('cut is a FIN, not a reset: the socket sees an orderly end', async () => {
    const proxy = await proxyFor({ fault: faults.cut({ afterBytes: 10 }) });
    const net = await import('node:net');
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    let received = '';
    const how = await new Promise<string>((resolve) => {
      socket.on('data', (c: Buffer) => {
        received += c.toString('latin1');
      });
      socket.on('end', () => resolve('end'));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    socket.destroy();
    expect(how).toBe('end');
    expect(received.split('\r\n\r\n')[1]).toHaveLength(10);
  });

  it('cut without afterBytes closes right after the headers', async () => {
    const proxy = await proxyFor({ fault: faults.cut() });
    const outcome = await readBig(proxy);
    expect(outcome).toMatchObject({ bytes: 0, ended: 'error' });
  });

  it('stall sends afterBytes then nothing, holding the connection until the fault changes', async () => {
    const proxy = await proxyFor({ fault: faults.stall({ afterBytes: 2000 }) });
    let bytes = 0;
    let ended: string | undefined;
    const done = new Promise<void>((resolve) => {
      http
        .get(`${proxy.url}/big`, { agent: false }, (res) => {
          res.on('data', (c: Buffer) => {
            bytes += c.length;
          });
          res.on('error', (err: NodeJS.ErrnoException) => {
            ended = err.code ?? 'error';
            resolve();
          });
          res.on('end', () => {
            ended = 'end';
            resolve();
          });
        })
        .on('error', () => resolve());
    });
    await vi.waitFor(() => expect(bytes).toBe(2000));
    expect(ended).toBeUndefined();
    expect(proxy.counts.byFault.stall).toBe(1);
    // Leaving the fault drops the held connection: the reader sees the body broken, not ended.
    await proxy.setFault(faults.pass());
    await done;
    expect(ended).not.toBe('end');
    expect(bytes).toBe(2000);
    expect((await request(`${proxy.url}/big`)).body).toBe(BIG.toString());
  });

  it('validates afterBytes and counts both faults', async () => {
    const proxy = await proxyFor();
    await expect(proxy.setFault({ type: 'cut', afterBytes: -1 })).rejects.toThrow(/fault\.afterBytes/);
    await expect(proxy.setFault({ type: 'stall', afterBytes: 1.5 })).rejects.toThrow(/fault\.afterBytes/);
    await expect(
      proxy.setFault(faults.mix(faults.cut({ afterBytes: 'x' as unknown as number }))),
    ).rejects.toThrow(/fault\.faults\[0\]\.afterBytes/);
    expect(proxy.counts.byFault).toMatchObject({ cut: 0, stall: 0 });
  });
});

describe('createFaultProxy: refuse', () => {
  it('stops listening (ECONNREFUSED, never sent) and listens again on the same port', async () => {
    const proxy = await proxyFor();
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await request(proxy.url, { agent })).status).toBe(200);
      const pooled = Object.values(agent.freeSockets).flat();
      await proxy.setFault(faults.refuse());
      // The keep-alive connection was dropped: once the client has seen it close (on a loaded
      // machine that can come after the next request was written to it, which then fails with
      // ECONNRESET), it has to connect again.
      await untilClosed(pooled);
      const err = await failure(request(proxy.url, { agent }));
      expect(err.code).toBe('ECONNREFUSED');
      expect(classifyFailure(err)).toBe('network');
      expect(failedBeforeSending(err)).toBe(true);

      await proxy.setFault(faults.pass());
      const port = proxy.port;
      expect((await request(`http://127.0.0.1:${port}/again`, { agent })).body).toBe('hello GET /again ');
    } finally {
      agent.destroy();
    }
  });

  it('can start refusing, and close() while refusing', async () => {
    const proxy = await proxyFor({ fault: faults.refuse() });
    expect((await failure(request(proxy.url))).code).toBe('ECONNREFUSED');
    await proxy.close();
    await proxy.close();
    expect((await failure(request(proxy.url))).code).toBe('ECONNREFUSED');
  });
});

describe('createFaultProxy: dns', () => {
  it('makes the proxy name fail with ENOTFOUND for http, fetch and dns.promises; restores it', async () => {
    const proxy = await proxyFor({ hostname: 'aws-us-east-1' });
    expect(isFaultDnsInstalled()).toBe(true);
    expect(proxy.host).toBe('aws-us-east-1.failover.test');
    expect(proxy.url).toBe(`http://aws-us-east-1.failover.test:${proxy.port}`);
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await request(`${proxy.url}/named`, { agent })).body).toBe('hello GET /named ');
      expect(await dns.promises.lookup(proxy.host)).toEqual({ address: '127.0.0.1', family: 4 });

      const pooled = Object.values(agent.freeSockets).flat();
      expect(pooled.length).toBeGreaterThan(0);
      await proxy.setFault(faults.dns());
      // The keep-alive connection was dropped: once the client has seen it close (on a loaded
      // machine that can come after the next request was written to it), it has to resolve the
      // name again.
      await untilClosed(pooled);
      const err = await failure(request(`${proxy.url}/named`, { agent }));
      expect(err).toMatchObject({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: proxy.host });
      expect(err.message).toBe(`getaddrinfo ENOTFOUND ${proxy.host}`);
      expect(classifyFailure(err)).toBe('network');
      expect(failedBeforeSending(err)).toBe(true);

      const fetchErr = await failure(fetch(`${proxy.url}/named`));
      expect((fetchErr.cause as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
      expect(classifyFailure(fetchErr)).toBe('network');
      expect(failedBeforeSending(fetchErr)).toBe(true);

      await expect(dns.promises.lookup(proxy.host)).rejects.toMatchObject({ code: 'ENOTFOUND' });
      // Sub-domains (e.g. Azure's account.host style) fail with their parent.
      await expect(dns.promises.lookup(`devstoreaccount1.${proxy.host}`)).rejects.toMatchObject({
        code: 'ENOTFOUND',
      });
      // Other names are untouched.
      expect((await dns.promises.lookup('localhost')).address).toMatch(/^(127\.0\.0\.1|::1)$/);
      // Clients that bypass the name and connect by IP are reset.
      expect((await failure(request(proxy.origin))).code).toBe('ECONNRESET');
      expect(proxy.counts.byFault.dns).toBeGreaterThanOrEqual(5);
      expect(upstream.seen).toHaveLength(1);

      await proxy.setFault(faults.pass());
      expect((await request(`${proxy.url}/back`, { agent })).body).toBe('hello GET /back ');
    } finally {
      agent.destroy();
    }
  });

  it('needs a hostname, and two open proxies cannot share one', async () => {
    const plain = await proxyFor();
    await expect(plain.setFault(faults.dns())).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(createFaultProxy({ target: upstream.origin, fault: faults.dns() })).rejects.toThrow(
      /hostname/,
    );
    await proxyFor({ hostname: 'gcp-europe-west1.failover.test' });
    await expect(createFaultProxy({ target: upstream.origin, hostname: 'gcp-europe-west1' })).rejects.toThrow(
      /already used/,
    );
    await expect(createFaultProxy({ target: upstream.origin, hostname: 'bad_name!' })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
  });

  it('setDnsFault fails a name without a proxy; uninstallFaultDns restores dns.lookup', async () => {
    installFaultDns();
    const lookup = dns.lookup;
    expect((await dns.promises.lookup('direct.failover.test')).address).toBe('127.0.0.1');
    setDnsFault('direct', true);
    await expect(dns.promises.lookup('direct.failover.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      dns.lookup('api.direct.failover.test', (e) => resolve(e)),
    );
    expect(err?.code).toBe('ENOTFOUND');
    setDnsFault('direct', false);
    const all = await new Promise<unknown>((resolve, reject) =>
      dns.lookup('direct.failover.test', { all: true }, (e, addresses) =>
        e ? reject(e) : resolve(addresses),
      ),
    );
    expect(all).toEqual([{ address: '127.0.0.1', family: 4 }]);

    uninstallFaultDns();
    expect(isFaultDnsInstalled()).toBe(false);
    expect(dns.lookup).not.toBe(lookup);
    installFaultDns();
    expect(isFaultDnsInstalled()).toBe(true);
  });
});

describe('createFaultProxy: partial faults', () => {
  async function outcomes(proxy: FaultProxy, n: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await request(proxy.url)).status);
    return statuses;
  }

  it('probability with a seed fails the same requests on every run', async () => {
    const fault: Fault = faults.slowDown({ probability: 0.3 });
    const a = await proxyFor({ fault, seed: 42 });
    const b = await proxyFor({ fault, seed: 42 });
    const first = await outcomes(a, 40);
    const second = await outcomes(b, 40);
    expect(second).toEqual(first);

    const random = seededRandom(42);
    const expected = Array.from({ length: 40 }, () => (random() < 0.3 ? 503 : 200));
    expect(first).toEqual(expected);
    const failed = first.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(40);
    expect(a.counts.byFault.status).toBe(failed);
    expect(a.counts.byFault.pass).toBe(40 - failed);
    expect(upstream.seen.length).toBe(2 * (40 - failed));
  });

  it('probability 0 never applies, 1 always', async () => {
    const proxy = await proxyFor({ fault: faults.serverError({ probability: 0 }) });
    expect(await outcomes(proxy, 5)).toEqual([200, 200, 200, 200, 200]);
    await proxy.setFault(faults.serverError({ probability: 1 }));
    expect(await outcomes(proxy, 3)).toEqual([500, 500, 500]);
  });

  it('match limits a fault to some methods and paths', async () => {
    const proxy = await proxyFor({
      fault: faults.serverError({ match: { method: ['put', 'POST'], path: '/w/' } }),
    });
    expect((await request(`${proxy.url}/w/1`, { method: 'PUT', body: 'x' })).status).toBe(500);
    expect((await request(`${proxy.url}/w/1`)).status).toBe(200);
    expect((await request(`${proxy.url}/r/1`, { method: 'PUT', body: 'x' })).status).toBe(200);

    await proxy.setFault(faults.slowDown({ match: { path: /[?&]list-type=2/ } }));
    expect((await request(`${proxy.url}/bucket?list-type=2`)).status).toBe(503);
    expect((await request(`${proxy.url}/bucket/list-type=2`)).status).toBe(200);

    await proxy.setFault(faults.status(409, { match: (r) => r.headers['x-fail'] === 'yes' }));
    expect((await request(`${proxy.url}/h`)).status).toBe(200);
  });

  it('mix applies the first fault that selects each request', async () => {
    const proxy = await proxyFor({
      seed: 1,
      fault: faults.mix(
        faults.pass({ match: { method: 'DELETE' } }),
        faults.serverError({ match: { method: 'PUT' } }),
        faults.slowDown({ match: { path: '/slow' } }),
      ),
    });
    expect((await request(`${proxy.url}/slow`, { method: 'DELETE' })).status).toBe(200);
    expect((await request(`${proxy.url}/slow`, { method: 'PUT', body: 'x' })).status).toBe(500);
    expect((await request(`${proxy.url}/slow`)).status).toBe(503);
    expect((await request(`${proxy.url}/fast`)).status).toBe(200);
    expect(proxy.counts.byFault).toMatchObject({ pass: 2, status: 2 });
  });
});

describe('createFaultProxy: options', () => {
  it('rejects malformed options and faults, naming the option', async () => {
    await expect(createFaultProxy({ target: 'not a url' })).rejects.toMatchObject({ option: 'target' });
    await expect(createFaultProxy({ target: 'ftp://x' })).rejects.toMatchObject({ option: 'target' });
    await expect(
      createFaultProxy({ target: upstream.origin, flavor: 'aws' as unknown as 's3' }),
    ).rejects.toMatchObject({ option: 'flavor' });
    const proxy = await proxyFor();
    await expect(proxy.setFault({ type: 'status', status: 99 })).rejects.toMatchObject({
      option: 'fault.status',
    });
    await expect(proxy.setFault(faults.slowDown({ probability: 2 }))).rejects.toMatchObject({
      option: 'fault.probability',
    });
    await expect(proxy.setFault(faults.latency(-1))).rejects.toMatchObject({ option: 'fault.ms' });
    await expect(proxy.setFault({ type: 'nope' } as unknown as Fault)).rejects.toMatchObject({
      option: 'fault.type',
    });
    await expect(
      proxy.setFault(
        faults.mix(faults.pass(), { type: 'refuse' } as unknown as ReturnType<typeof faults.pass>),
      ),
    ).rejects.toMatchObject({ option: 'fault.faults[1]' });
    await expect(proxy.setFault({ type: 'status', status: 99 })).rejects.toThrow(
      'Invalid option "fault.status": must be an integer from 100 to 599, got 99',
    );
    await expect(proxy.setFault({ type: 'refuse', probability: 0.5 } as unknown as Fault)).rejects.toThrow(
      'Invalid option "fault.probability": is not a known option (known: type)',
    );
    await expect(proxy.setFault({ type: 'latency', ms: 5, perChunk: 1 } as unknown as Fault)).rejects.toThrow(
      'Invalid option "fault.perChunk": is not a known option',
    );
    await expect(proxy.setFault({ type: 'pass', match: { path: 5 } } as unknown as Fault)).rejects.toThrow(
      'Invalid option "fault.match.path": must be a string prefix or a RegExp, got 5',
    );
    expect(proxy.fault).toEqual({ type: 'pass' });
  });

  it('close() is idempotent, drops open connections and ends setFault', async () => {
    const proxy = await proxyFor({ fault: faults.blackhole() });
    const held = failure(request(proxy.url));
    await vi.waitFor(() => expect(proxy.counts.byFault.blackhole).toBe(1));
    await Promise.all([proxy.close(), proxy.close()]);
    expect((await held).code).toBe('ECONNRESET');
    await expect(proxy.setFault(faults.pass())).rejects.toThrow(/closed/);
    expect((await failure(request(proxy.url))).code).toBe('ECONNREFUSED');
  });
});
