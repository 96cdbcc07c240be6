import axios from 'axios';
import { afterEach, expect, it } from 'vitest';
import { withFailover } from '../src/index.js';
import { closedPort, echo, startServer, statusHandler, type TestServer } from './helpers/server.js';

const servers: TestServer[] = [];
afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.close())); });

it('smoke', async () => {
  const a = await startServer(statusHandler(503));
  const b = await startServer(echo('b'));
  servers.push(a, b);
  const port = await closedPort();
  const api = withFailover(axios.create({ headers: { Authorization: 'Bearer secret' } }), {
    endpoints: [
      { name: 'dead', baseURL: `http://127.0.0.1:${port}` },
      { name: 'a', baseURL: a.url },
      { name: 'b', baseURL: `${b.url}/v1` },
    ],
    retry: { maxAttempts: 1 },
  });
  const events: unknown[] = [];
  api.failover.on('failover', (e) => events.push({ from: e.from, to: e.to, kind: e.kind, error: String(e.error) }));
  const res = await api.get('/orders/42', { params: { q: 1 } });
  console.log(res.data, res.config.failover, res.config.baseURL, events);
  expect(res.data.server).toBe('b');
  const r404 = await api.get('/x', { validateStatus: (s) => s < 500 });
  console.log(r404.status);
  b.close();
  const err = await api.get('/y').catch((e: unknown) => e);
  console.log(err, JSON.stringify(err));
  api.failover.close();
});
