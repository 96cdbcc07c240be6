import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { faults } from '@failover/testkit';
import axios, { type AxiosError } from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FailoverAxiosInstance, withFailover } from '../src/index.js';
import { type Regions, startRegions } from './helpers/regions.js';
import { startServer } from './helpers/server.js';

let regions: Regions;
let api: FailoverAxiosInstance;

const big = 'x'.repeat(64 * 1024);

beforeEach(async () => {
  regions = await startRegions(['use1', 'usw2', 'gcp'], (name) => (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(req.url === '/big' ? big : `${name}:${req.headers['x-request-id'] ?? ''}`);
  });
  api = withFailover(axios.create(), { endpoints: regions.endpoints, retry: { maxAttempts: 1 } });
});
afterEach(async () => {
  api.failover.close();
  await regions.close();
});

describe('interceptors run once per logical request', () => {
  it('across two failovers: one request interceptor run, one response interceptor run', async () => {
    let requestRuns = 0;
    let responseRuns = 0;
    api.interceptors.request.use((config) => {
      requestRuns++;
      config.headers.set('X-Request-Id', `req-${requestRuns}`);
      return config;
    });
    api.interceptors.response.use((response) => {
      responseRuns++;
      return response;
    });
    await regions.get('use1').proxy.setFault(faults.status(503));
    await regions.get('usw2').proxy.setFault(faults.refuse());
    const res = await api.get('/a');
    expect(res.data).toBe('gcp:req-1');
    expect(res.config.failover?.attempts).toBe(3);
    expect(requestRuns).toBe(1);
    expect(responseRuns).toBe(1);
  });

  it("when every endpoint fails, the response interceptor's error handler runs once", async () => {
    let requestRuns = 0;
    let errorRuns = 0;
    api.interceptors.request.use((config) => {
      requestRuns++;
      return config;
    });
    api.interceptors.response.use(undefined, (err: unknown) => {
      errorRuns++;
      return Promise.reject(err);
    });
    for (const r of regions.list) await r.proxy.setFault(faults.status(503));
    await expect(api.get('/a')).rejects.toThrow(/All endpoints failed/);
    expect(requestRuns).toBe(1);
    expect(errorRuns).toBe(1);
  });

  it('an async request interceptor runs once too', async () => {
    let runs = 0;
    api.interceptors.request.use(async (config) => {
      runs++;
      await new Promise((r) => setImmediate(r));
      return config;
    });
    await regions.get('use1').proxy.setFault(faults.reset());
    const res = await api.get('/a');
    expect(res.data).toBe('usw2:');
    expect(runs).toBe(1);
  });
});

describe("responseType: 'stream'", () => {
  it('a response whose body breaks after the headers arrived is not retried: the caller sees the stream error', async () => {
    await regions.get('use1').proxy.setFault(faults.reset({ afterBytes: 1024 }));
    const res = await api.get<Readable>('/big', { responseType: 'stream' });
    expect(res.status).toBe(200);
    expect(res.config.failover).toMatchObject({ endpoint: 'use1', attempts: 1 });
    await expect(text(res.data)).rejects.toThrow();
    expect(regions.get('usw2').proxy.counts.total).toBe(0);
    expect(regions.get('gcp').proxy.counts.total).toBe(0);
  });

  it('a failover status arrives before any body was handed out: the call moves on', async () => {
    await regions.get('use1').proxy.setFault(faults.status(503));
    const res = await api.get<Readable>('/big', { responseType: 'stream' });
    expect(res.config.failover?.endpoint).toBe('usw2');
    expect(await text(res.data)).toBe(big);
  });

  it("the caller's signal still cancels a stream after it was returned", async () => {
    const trickle = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk'); // ...and the rest never comes
    });
    const single = withFailover(axios.create(), { endpoints: [{ name: 'trickle', baseURL: trickle.url }] });
    try {
      const controller = new AbortController();
      const res = await single.get<Readable>('/big', { responseType: 'stream', signal: controller.signal });
      expect(res.config.failover?.endpoint).toBe('trickle');
      const reading = text(res.data);
      controller.abort();
      await expect(reading).rejects.toThrow();
      expect(res.data.destroyed).toBe(true);
    } finally {
      single.failover.close();
      await trickle.close();
    }
  });

  it('a 404 stream response is rejected by axios as usual', async () => {
    await regions.get('use1').proxy.setFault(faults.status(404));
    const err = (await api.get('/big', { responseType: 'stream' }).catch((e: unknown) => e)) as AxiosError;
    expect(err.response?.status).toBe(404);
    expect(regions.get('usw2').proxy.counts.total).toBe(0);
    (err.response!.data as Readable).destroy();
  });
});
