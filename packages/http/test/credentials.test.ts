import { inspect } from 'node:util';
import axios, { type AxiosError } from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allEndpointsFailed, type FailoverAxiosInstance, withFailover } from '../src/index.js';
import { echo, type Handler, startServer, statusHandler, type TestServer } from './helpers/server.js';

const SECRET_HEADERS = {
  Authorization: 'Bearer top-secret',
  Cookie: 'session=top-secret',
  'Proxy-Authorization': 'Basic top-secret',
  'X-Api-Key': 'top-secret',
  'X-Trace': 'trace-1',
};

let foreign: TestServer;
let trusted: TestServer;
let use1: TestServer;
let usw2: TestServer;
let api: FailoverAxiosInstance;
let use1Handler: Handler;

function redirector(): Handler {
  return (req, res) => {
    const to: Record<string, string> = {
      '/v1/go-foreign': `${foreign.url}/landing`,
      '/v1/go-trusted': `${trusted.url}/landing`,
      '/v1/go-same': '/v1/landing',
    };
    const location = to[req.url ?? ''];
    if (location) {
      res.writeHead(302, { location });
      res.end();
      return;
    }
    return use1Handler(req, res);
  };
}

beforeEach(async () => {
  use1Handler = echo('use1');
  foreign = await startServer(echo('foreign'));
  trusted = await startServer(echo('trusted'));
  use1 = await startServer((req, res) => redirector()(req, res));
  usw2 = await startServer(echo('usw2'));
  api = withFailover(axios.create({ headers: SECRET_HEADERS }), {
    endpoints: [
      { name: 'use1', baseURL: `${use1.url}/v1` },
      { name: 'usw2', baseURL: `${usw2.url}/v1` },
    ],
    retry: { maxAttempts: 1 },
    sensitiveHeaders: ['X-Api-Key'],
    trustedOrigins: [trusted.url],
  });
});
afterEach(async () => {
  api.failover.close();
  await Promise.all([foreign, trusted, use1, usw2].map((s) => s.close()));
});

function expectNoSecrets(headers: Record<string, unknown>): void {
  expect(headers.authorization).toBeUndefined();
  expect(headers.cookie).toBeUndefined();
  expect(headers['proxy-authorization']).toBeUndefined();
  expect(headers['x-api-key']).toBeUndefined();
  expect(JSON.stringify(headers)).not.toContain('top-secret');
}

describe('redirects', () => {
  it('a redirect to a foreign origin loses every sensitive header (configured ones included)', async () => {
    const res = await api.get('/go-foreign');
    expect(res.data.server).toBe('foreign');
    const seen = foreign.requests[0]!.headers;
    expectNoSecrets(seen);
    expect(seen['x-trace']).toBe('trace-1');
    // The endpoint itself got them.
    expect(use1.requests[0]!.headers['x-api-key']).toBe('top-secret');
  });

  it("the caller's own beforeRedirect still runs, and cannot re-add secrets for a foreign origin", async () => {
    const calls: string[] = [];
    const res = await api.get('/go-foreign', {
      beforeRedirect: (options) => {
        calls.push(String(options.href));
        (options.headers as Record<string, string>)['X-Api-Key'] = 'top-secret';
      },
    });
    expect(res.data.server).toBe('foreign');
    expect(calls).toEqual([`${foreign.url}/landing`]);
    expectNoSecrets(foreign.requests[0]!.headers);
  });

  it('a redirect to a trusted origin keeps the configured sensitive headers', async () => {
    const res = await api.get('/go-trusted');
    expect(res.data.server).toBe('trusted');
    expect(trusted.requests[0]!.headers['x-api-key']).toBe('top-secret');
  });

  it('a same-origin redirect keeps Authorization', async () => {
    const res = await api.get('/go-same');
    expect(res.data.server).toBe('use1');
    expect(use1.requests[1]!.headers.authorization).toBe('Bearer top-secret');
  });

  it('basic auth (axios `auth`) is not sent to a foreign origin on redirect', async () => {
    const plain = withFailover(axios.create(), {
      endpoints: [{ name: 'use1', baseURL: `${use1.url}/v1` }],
      retry: { maxAttempts: 1 },
    });
    try {
      await plain.get('/go-foreign', { auth: { username: 'u', password: 'top-secret' } });
      expect(use1.requests[0]!.headers.authorization).toMatch(/^Basic /);
      expect(foreign.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      plain.failover.close();
    }
  });
});

describe('absolute URLs', () => {
  it('a foreign absolute URL bypasses failover and gets no credentials', async () => {
    const res = await api.get(`${foreign.url}/direct?x=1`);
    expect(res.data).toMatchObject({ server: 'foreign', url: '/direct?x=1' });
    expect(res.config.failover).toMatchObject({ route: 'bypass', endpoint: undefined, attempts: 1 });
    const seen = foreign.requests[0]!.headers;
    expectNoSecrets(seen);
    expect(seen['x-trace']).toBe('trace-1');
    expect(use1.requests).toHaveLength(0);
  });

  it('a foreign absolute URL that fails is not failed over', async () => {
    const down = await startServer(statusHandler(503));
    try {
      const err = (await api.get(`${down.url}/direct`).catch((e: unknown) => e)) as AxiosError;
      expect(err.response?.status).toBe(503);
      expect(err.message).toBe('Request failed with status code 503');
      expect(err.config?.failover?.route).toBe('bypass');
      expect(use1.requests).toHaveLength(0);
      expect(usw2.requests).toHaveLength(0);
    } finally {
      await down.close();
    }
  });

  it('a trusted absolute URL keeps its credentials but bypasses failover', async () => {
    const res = await api.get(`${trusted.url}/direct`);
    expect(res.config.failover?.route).toBe('bypass');
    expect(trusted.requests[0]!.headers.authorization).toBe('Bearer top-secret');
  });

  it("an absolute URL under an endpoint's base URL is re-based onto each endpoint", async () => {
    use1Handler = statusHandler(503);
    const res = await api.get(`${use1.url}/v1/orders/42?expand=1`);
    expect(res.config.failover).toMatchObject({ route: 'failover', endpoint: 'usw2' });
    expect(res.data).toMatchObject({ server: 'usw2', url: '/v1/orders/42?expand=1' });
    expect(use1.requests[0]!.url).toBe('/v1/orders/42?expand=1');
  });

  it("an absolute URL on an endpoint's origin but outside its base path is sent once, with credentials", async () => {
    const res = await api.get(`${use1.url}/health`);
    expect(res.config.failover?.route).toBe('bypass');
    expect(use1.requests[0]!.headers.authorization).toBe('Bearer top-secret');
  });
});

describe('errors and events when endpoints echo credentials', () => {
  it('failures, events and the AllTargetsFailedError carry no credential a server echoed', async () => {
    const leak = 'sig=echoSECRET1&X-Amz-Signature=echoSECRET2';
    const leaky: Handler = (_req, res) => {
      res.writeHead(503, `Unavailable ${leak}`, {
        'content-type': 'text/plain',
        'set-cookie': 'SID=echoSECRET3',
      });
      res.end(`upstream said Authorization: Bearer echoSECRET4 ${leak}`);
    };
    use1Handler = leaky;
    await usw2.close();
    usw2 = await startServer(leaky);
    const echoing = withFailover(axios.create({ headers: SECRET_HEADERS }), {
      endpoints: [
        { name: 'use1', baseURL: `${use1.url}/v1` },
        { name: 'usw2', baseURL: `${usw2.url}/v1` },
      ],
      retry: { maxAttempts: 1 },
      sensitiveHeaders: ['X-Api-Key'],
    });
    const events: string[] = [];
    echoing.failover.on('failover', (e) => events.push(inspect(e, { depth: Number.POSITIVE_INFINITY })));
    const err = await echoing.get('/x').catch((e: unknown) => e as AxiosError);
    echoing.failover.close();
    const all = allEndpointsFailed(err);
    expect(all?.failures).toHaveLength(2);
    const seen = [
      (err as Error).message,
      inspect(all, { depth: Number.POSITIVE_INFINITY }),
      JSON.stringify((err as AxiosError).toJSON()),
      ...events,
    ].join('\n');
    for (const s of ['echoSECRET1', 'echoSECRET2', 'echoSECRET3', 'echoSECRET4', 'top-secret']) {
      expect(seen).not.toContain(s);
    }
  });
});
