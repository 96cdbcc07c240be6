import axios, { type AxiosAdapter } from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { type FailoverAxiosInstance, withFailover } from '../src/index.js';
import { closedPort, echo, startServer, statusHandler, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
let api: FailoverAxiosInstance | undefined;
afterEach(async () => {
  api?.failover.close();
  api = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("the instance's own adapter sends every attempt", () => {
  it("axios' fetch adapter", async () => {
    const port = await closedPort();
    const down = await startServer(statusHandler(503));
    const up = await startServer(echo('up'));
    servers.push(down, up);
    api = withFailover(axios.create({ adapter: 'fetch' }), {
      endpoints: [
        { name: 'refused', baseURL: `http://127.0.0.1:${port}` },
        { name: 'down', baseURL: down.url },
        { name: 'up', baseURL: up.url },
      ],
      retry: { maxAttempts: 1 },
    });
    const res = await api.get('/x');
    expect(res.data.server).toBe('up');
    expect(res.config.failover).toMatchObject({
      endpoint: 'up',
      failures: [
        { endpoint: 'refused', kind: 'network' },
        { endpoint: 'down', kind: 'unavailable', status: 503 },
      ],
    });
  });

  it('a custom adapter function, once per attempt, with the endpoint as baseURL', async () => {
    const down = await startServer(statusHandler(503));
    const up = await startServer(echo('up'));
    servers.push(down, up);
    const seen: string[] = [];
    const http = axios.getAdapter('http');
    const custom: AxiosAdapter = (config) => {
      seen.push(`${config.baseURL}${config.url}`);
      return http(config);
    };
    api = withFailover(axios.create({ adapter: custom }), {
      endpoints: [
        { name: 'down', baseURL: down.url },
        { name: 'up', baseURL: up.url },
      ],
      retry: { maxAttempts: 1 },
    });
    await api.get('/x');
    expect(seen).toEqual([`${down.url}/x`, `${up.url}/x`]);
  });
});
