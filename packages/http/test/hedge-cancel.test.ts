import axios, { type AxiosError } from 'axios';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FailoverAxiosInstance, withFailover } from '../src/index.js';
import {
  echo,
  hang,
  requestsArrived,
  startServer,
  statusHandler,
  type TestServer,
} from './helpers/server.js';

const servers: TestServer[] = [];
let api: FailoverAxiosInstance | undefined;

afterEach(async () => {
  api?.failover.close();
  api = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(...handlers: Parameters<typeof startServer>[0][]): Promise<TestServer[]> {
  const started = await Promise.all(handlers.map((h) => startServer(h)));
  servers.push(...started);
  return started;
}

const endpointsOf = (list: TestServer[]) => list.map((s, i) => ({ name: `e${i + 1}`, baseURL: s.url }));

describe('hedged GETs', () => {
  it('the hedge wins and the slow attempt is aborted (its server sees the connection close)', async () => {
    const [slow, fast] = await serve(hang(), echo('fast'));
    api = withFailover(axios.create(), { endpoints: endpointsOf([slow!, fast!]), hedge: { afterMs: 50 } });
    const hedges: string[] = [];
    api.failover.on('hedge', (e) => hedges.push(`${e.from}->${e.to}`));
    const res = await api.get('/item');
    expect(res.data.server).toBe('fast');
    expect(res.config.failover).toMatchObject({ endpoint: 'e2', hedged: true, attempts: 2, failures: [] });
    expect(hedges).toEqual(['e1->e2']);
    await vi.waitFor(() => expect(slow!.aborted).toHaveLength(1));
  });

  it('POST is never hedged, even with hedging configured', async () => {
    const [slow, fast] = await serve((_req, res) => {
      setTimeout(() => res.end('{"ok":1}'), 150);
    }, echo('fast'));
    api = withFailover(axios.create(), { endpoints: endpointsOf([slow!, fast!]), hedge: { afterMs: 20 } });
    const res = await api.post('/orders', { a: 1 });
    expect(res.config.failover).toMatchObject({ endpoint: 'e1', hedged: false, attempts: 1 });
    expect(fast!.requests).toHaveLength(0);
  });

  it('failover: { hedge: false } turns hedging off for one request', async () => {
    const [slow, fast] = await serve((_req, res) => {
      setTimeout(() => res.end('{"ok":1}'), 150);
    }, echo('fast'));
    api = withFailover(axios.create(), { endpoints: endpointsOf([slow!, fast!]), hedge: { afterMs: 20 } });
    const res = await api.get('/item', { failover: { hedge: false } });
    expect(res.config.failover).toMatchObject({ endpoint: 'e1', hedged: false });
    expect(fast!.requests).toHaveLength(0);
  });

  it('failover: { hedge: { afterMs } } turns hedging on for one request', async () => {
    const [slow, fast] = await serve(hang(), echo('fast'));
    api = withFailover(axios.create(), { endpoints: endpointsOf([slow!, fast!]) });
    const res = await api.get('/item', { failover: { hedge: { afterMs: 30 } } });
    expect(res.config.failover).toMatchObject({ endpoint: 'e2', hedged: true });
  });
});

describe('cancellation through signal', () => {
  it('aborting in flight rejects with a CanceledError and closes the request', async () => {
    const [slow, other] = await serve(hang(), echo('other'));
    api = withFailover(axios.create(), { endpoints: endpointsOf([slow!, other!]) });
    const controller = new AbortController();
    const pending = api.get('/item', { signal: controller.signal }).catch((e: unknown) => e);
    await requestsArrived(slow!, 1);
    controller.abort();
    const err = (await pending) as AxiosError;
    expect(axios.isCancel(err)).toBe(true);
    expect(err.code).toBe('ERR_CANCELED');
    await vi.waitFor(() => expect(slow!.aborted).toHaveLength(1));
    expect(other!.requests).toHaveLength(0);
  });

  it('aborting during a hedge aborts every attempt in flight', async () => {
    const [a, b] = await serve(hang(), hang());
    api = withFailover(axios.create(), { endpoints: endpointsOf([a!, b!]), hedge: { afterMs: 20 } });
    const controller = new AbortController();
    const pending = api.get('/item', { signal: controller.signal }).catch((e: unknown) => e);
    await requestsArrived(a!, 1);
    await requestsArrived(b!, 1);
    controller.abort();
    expect(axios.isCancel(await pending)).toBe(true);
    await vi.waitFor(() => {
      expect(a!.aborted).toHaveLength(1);
      expect(b!.aborted).toHaveLength(1);
    });
  });

  it('aborting during a retry backoff stops the call: no further attempt', async () => {
    const [down] = await serve(statusHandler(503));
    api = withFailover(axios.create(), {
      endpoints: endpointsOf([down!]),
      retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, jitter: 'none' },
    });
    const controller = new AbortController();
    api.failover.on('retry', () => setImmediate(() => controller.abort()));
    const err = await api.get('/item', { signal: controller.signal }).catch((e: unknown) => e);
    expect(axios.isCancel(err)).toBe(true);
    expect(down!.requests).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const [s] = await serve(echo('s'));
    api = withFailover(axios.create(), { endpoints: endpointsOf([s!]) });
    const err = await api.get('/item', { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(axios.isCancel(err)).toBe(true);
    expect(s!.requests).toHaveLength(0);
  });

  it("axios' legacy CancelToken cancels too", async () => {
    const [slow] = await serve(hang());
    api = withFailover(axios.create(), { endpoints: endpointsOf([slow!]) });
    const source = axios.CancelToken.source();
    const pending = api.get('/item', { cancelToken: source.token }).catch((e: unknown) => e);
    await requestsArrived(slow!, 1);
    source.cancel('stop');
    expect(axios.isCancel(await pending)).toBe(true);
    await vi.waitFor(() => expect(slow!.aborted).toHaveLength(1));
  });
});

describe('deadlines', () => {
  it('failover.deadlineMs bounds the whole request: an axios timeout error with the deadline as cause', async () => {
    const [a, b] = await serve(hang(), hang());
    api = withFailover(axios.create(), { endpoints: endpointsOf([a!, b!]), attemptTimeoutMs: 10_000 });
    const err = (await api
      .get('/item', { failover: { deadlineMs: 100 } })
      .catch((e: unknown) => e)) as AxiosError;
    expect(axios.isAxiosError(err)).toBe(true);
    expect(err.code).toBe('ECONNABORTED');
    expect((err.cause as Error).name).toBe('DeadlineExceededError');
    await vi.waitFor(() => expect(a!.aborted).toHaveLength(1));
  });
});
