import { type CallObserver, InvalidOptionError } from '@failover/core';
import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { routeOf } from '../src/endpoints.js';
import {
  createFailoverAxios,
  type FailoverAxiosInstance,
  type WithFailoverOptions,
  withFailover,
} from '../src/index.js';
import { resolveHttpOptions } from '../src/options.js';
import { echo, startServer, statusHandler, type TestServer } from './helpers/server.js';

const ok = [{ name: 'a', baseURL: 'https://a.example.com' }];

function thrown(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('invalid options throw at construction, naming the option', () => {
  const cases: [string, Partial<WithFailoverOptions> & Record<string, unknown>, string][] = [
    ['no endpoints', { endpoints: [] }, 'endpoints'],
    ['endpoints missing', { endpoints: undefined }, 'endpoints'],
    ['empty name', { endpoints: [{ name: '', baseURL: 'https://a.example.com' }] }, 'endpoints[0].name'],
    [
      'duplicate names',
      { endpoints: [ok[0]!, { name: 'a', baseURL: 'https://b.example.com' }] },
      'endpoints[1].name',
    ],
    ['relative baseURL', { endpoints: [{ name: 'a', baseURL: '/api' }] }, 'endpoints[0].baseURL'],
    ['ftp baseURL', { endpoints: [{ name: 'a', baseURL: 'ftp://a.example.com' }] }, 'endpoints[0].baseURL'],
    [
      'baseURL with credentials',
      { endpoints: [{ name: 'a', baseURL: 'https://u:p@a.example.com' }] },
      'endpoints[0].baseURL',
    ],
    [
      'baseURL with a query',
      { endpoints: [{ name: 'a', baseURL: 'https://a.example.com/?k=1' }] },
      'endpoints[0].baseURL',
    ],
    [
      'duplicate base URLs',
      { endpoints: [ok[0]!, { name: 'b', baseURL: 'https://a.example.com/' }] },
      'endpoints[1].baseURL',
    ],
    [
      'failoverOn500 not a boolean',
      { endpoints: ok, failoverOn500: 'yes' as unknown as boolean },
      'failoverOn500',
    ],
    ['bad sensitive header', { endpoints: ok, sensitiveHeaders: ['bad header'] }, 'sensitiveHeaders[0]'],
    [
      'trusted origin with a path',
      { endpoints: ok, trustedOrigins: ['https://t.example.com/x'] },
      'trustedOrigins[0]',
    ],
    ['core option out of range', { endpoints: ok, attemptTimeoutMs: -5 }, 'attemptTimeoutMs'],
    ['core sub-option unknown', { endpoints: ok, retry: { tries: 3 } as never }, 'retry.tries'],
    ['unknown option', { endpoints: ok, failoverOn503: true } as never, 'failoverOn503'],
    ['unknown endpoint key', { endpoints: [{ ...ok[0]!, url: 'x' }] } as never, 'endpoints[0].url'],
    ['bad request hedge', { endpoints: ok, hedge: true } as never, 'hedge'],
  ];
  for (const [label, options, option] of cases) {
    it(label, () => {
      const err = thrown(() => withFailover(axios.create(), options as WithFailoverOptions));
      expect(err.option).toBe(option);
      expect(err.message).toContain(option);
    });
  }

  it('never quotes a base URL (it may hold credentials) and words errors like every option', () => {
    const err = thrown(() =>
      withFailover(axios.create(), { endpoints: [{ name: 'a', baseURL: 'https://u:s3cr3t@a.example.com' }] }),
    );
    expect(err.message).toBe(
      'Invalid option "endpoints[0].baseURL": must not contain credentials; use axios `auth` or headers',
    );
    expect(thrown(() => withFailover(axios.create(), { endpoints: [ok[0]!, ok[0]!] })).message).toBe(
      'Invalid option "endpoints[1].name": must be unique: "a" is used twice',
    );
    expect(
      thrown(() => withFailover(axios.create(), { endpoints: ok, failoverOn500: 1 as never })).message,
    ).toBe('Invalid option "failoverOn500": must be a boolean, got 1');
  });

  it('wrapping the same instance twice', () => {
    const instance = axios.create();
    const api = withFailover(instance, { endpoints: ok });
    try {
      expect(thrown(() => withFailover(instance, { endpoints: ok })).option).toBe('instance');
    } finally {
      api.failover.close();
    }
  });
});

describe('routing of request URLs', () => {
  const endpoints = resolveHttpOptions({
    endpoints: [
      { name: 'a', baseURL: 'https://a.example.com/v1/' },
      { name: 'b', baseURL: 'https://b.example.com/api/v1' },
    ],
  }).endpoints;
  const none = new Set<string>();

  it('relative URLs go through the endpoints as they are', () => {
    expect(routeOf('/orders/1', undefined, endpoints, none)).toEqual({ kind: 'failover', path: '/orders/1' });
    expect(routeOf('orders/1', undefined, endpoints, none)).toEqual({ kind: 'failover', path: 'orders/1' });
    expect(routeOf(undefined, undefined, endpoints, none)).toEqual({ kind: 'failover', path: '' });
  });

  it("absolute URLs under an endpoint's base are re-based", () => {
    expect(routeOf('https://b.example.com/api/v1/orders?x=1', undefined, endpoints, none)).toEqual({
      kind: 'failover',
      path: '/orders?x=1',
    });
    expect(routeOf('https://A.EXAMPLE.COM/v1', undefined, endpoints, none)).toEqual({
      kind: 'failover',
      path: '',
    });
  });

  it('a path that only starts like the base is not under it', () => {
    expect(routeOf('https://a.example.com/v10/x', undefined, endpoints, none)).toMatchObject({
      kind: 'bypass',
      trusted: true,
    });
  });

  it('foreign origins bypass, untrusted unless listed', () => {
    expect(routeOf('https://evil.example.com/v1/x', undefined, endpoints, none)).toMatchObject({
      kind: 'bypass',
      trusted: false,
    });
    expect(
      routeOf('https://evil.example.com/x', undefined, endpoints, new Set(['https://evil.example.com'])),
    ).toMatchObject({ kind: 'bypass', trusted: true });
    expect(routeOf('//evil.example.com/x', undefined, endpoints, none)).toMatchObject({
      kind: 'bypass',
      url: 'https://evil.example.com/x',
      trusted: false,
    });
  });

  it('allowAbsoluteUrls: false sends every URL through the endpoints', () => {
    expect(routeOf('https://evil.example.com/x', false, endpoints, none)).toEqual({
      kind: 'failover',
      path: 'https://evil.example.com/x',
    });
  });
});

describe('against real servers', () => {
  const servers: TestServer[] = [];
  let api: FailoverAxiosInstance | undefined;
  afterEach(async () => {
    api?.failover.close();
    api = undefined;
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('joins each base path with the request path and params', async () => {
    const a = await startServer(statusHandler(503));
    const b = await startServer(echo('b'));
    servers.push(a, b);
    api = withFailover(axios.create(), {
      endpoints: [
        { name: 'a', baseURL: `${a.url}/v1/` },
        { name: 'b', baseURL: `${b.url}/api/v1` },
      ],
      retry: { maxAttempts: 1 },
    });
    const res = await api.get('orders/7', { params: { expand: 'items' } });
    expect(a.requests[0]!.url).toBe('/v1/orders/7?expand=items');
    expect(res.data.url).toBe('/api/v1/orders/7?expand=items');
    expect(res.config.baseURL).toBe(`${b.url}/api/v1`);
    expect(res.config.failover?.baseURL).toBe(`${b.url}/api/v1`);
  });

  it('createFailoverAxios takes axios config and failover options together', async () => {
    const a = await startServer(statusHandler(502));
    const b = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: req.headers['x-client'] }));
    });
    servers.push(a, b);
    api = createFailoverAxios({
      headers: { 'X-Client': 'demo' },
      timeout: 5_000,
      endpoints: [
        { name: 'a', baseURL: a.url },
        { name: 'b', baseURL: b.url },
      ],
      retry: { maxAttempts: 1 },
    });
    const res = await api.get('/x');
    expect(res.data).toEqual({ token: 'demo' });
    expect(res.config.timeout).toBe(5_000);
    expect(res.config.failover?.endpoint).toBe('b');
    expect(api.failover.status().targets.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('takes the router options its type names: an observer sees each call and attempt, a bulkhead is set', async () => {
    const a = await startServer(statusHandler(503));
    const b = await startServer(echo('b'));
    servers.push(a, b);
    const seen: string[] = [];
    const observer: CallObserver = {
      onCallStart: () => ({
        onAttemptStart: (target) => ({
          end: (outcome) => void seen.push(`${target}:${outcome.ok ? 'ok' : outcome.kind}`),
        }),
        end: (outcome) => void seen.push(`call:${outcome.ok ? outcome.target : outcome.kind}`),
      }),
    };
    api = withFailover(axios.create(), {
      endpoints: [
        { name: 'a', baseURL: a.url },
        { name: 'b', baseURL: b.url },
      ],
      retry: { maxAttempts: 1 },
      observer,
      bulkhead: { maxConcurrent: 4 },
    });
    await api.get('/x');
    expect(seen).toEqual(['a:unavailable', 'b:ok', 'call:b']);
  });

  it('failover.endpoints restricts a request to some endpoints, in that order', async () => {
    const a = await startServer(echo('a'));
    const b = await startServer(echo('b'));
    const c = await startServer(echo('c'));
    servers.push(a, b, c);
    api = withFailover(axios.create(), {
      endpoints: [
        { name: 'a', baseURL: a.url },
        { name: 'b', baseURL: b.url },
        { name: 'c', baseURL: c.url },
      ],
    });
    const res = await api.get('/x', { failover: { endpoints: ['c', 'b'] } });
    expect(res.data.server).toBe('c');
    expect(a.requests).toHaveLength(0);
    const err = await api.get('/x', { failover: { endpoints: ['nope'] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).option).toBe('failover.endpoints[0]');
    expect((err as InvalidOptionError).message).toBe(
      `Invalid option "failover.endpoints[0]": must be one of 'a', 'b', 'c', got "nope"`,
    );
  });
});
