import { stat } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisLocalServer, startRedisServer, startTcpProxy, type TcpFaultProxy } from '../src/index.js';
import { RespLine } from './resp-client.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options?: Parameters<typeof startRedisServer>[0]): Promise<RedisLocalServer> {
  const redis = await startRedisServer(options);
  cleanups.push(() => redis.stop());
  return redis;
}

async function client(port: number): Promise<RespLine> {
  const line = await RespLine.open(port);
  cleanups.push(() => line.close());
  return line;
}

describe('startRedisServer', () => {
  it('runs redis-server on a loopback port with its own data directory', async () => {
    const redis = await server();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.running).toBe(true);
    const c = await client(redis.port);
    expect(await c.send('PING')).toBe('+PONG');
    expect(redis.persistence).toBe('memory');
    expect((await stat(redis.directory)).isDirectory()).toBe(true);
    await redis.stop();
    await expect(stat(redis.directory)).rejects.toThrow(/ENOENT/);
  });

  it('with aof-always keeps every acknowledged write across a SIGKILL and a restart on the same port', async () => {
    const redis = await server({ persistence: 'aof-always' });
    const port = redis.port;
    const firstPid = redis.pid;
    const c = await client(port);
    for (let i = 0; i < 20; i++) expect(await c.send('SET', `k${i}`, `v${i}`)).toBe('+OK');
    c.close();
    await redis.kill();
    expect(redis.running).toBe(false);
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.pid).not.toBe(firstPid);
    const again = await client(port);
    for (let i = 0; i < 20; i++) expect(await again.send('GET', `k${i}`)).toBe(`v${i}`);
  });

  it('with a password, refuses clients that did not authenticate (across a restart too)', async () => {
    const redis = await server({ password: 's3cret-pw' });
    expect(redis.url).toBe(`redis://:s3cret-pw@127.0.0.1:${redis.port}`);
    expect(redis.password).toBe('s3cret-pw');
    const c = await client(redis.port);
    expect(await c.send('PING')).toMatch(/^-NOAUTH/);
    expect(await c.send('AUTH', 'wrong')).toMatch(/^-WRONGPASS/);
    expect(await c.send('AUTH', 's3cret-pw')).toBe('+OK');
    expect(await c.send('PING')).toBe('+PONG');
    c.close();
    await redis.restart();
    expect(await (await client(redis.port)).send('PING')).toMatch(/^-NOAUTH/);
    // A bad password is refused without being echoed.
    const error = await startRedisServer({ password: 'has space secret' }).catch((err: unknown) => err);
    expect(String(error)).toMatch(/"password": must be a string of 1 to 200 letters/);
    expect(String(error)).not.toMatch(/secret/);
  });

  it('in memory comes back empty after a kill', async () => {
    const redis = await server();
    const c = await client(redis.port);
    await c.send('SET', 'k', 'v');
    c.close();
    await redis.kill();
    await redis.restart();
    const again = await client(redis.port);
    expect(await again.send('GET', 'k')).toBe('$-1');
  });

  it('answers nothing while paused and everything once resumed', async () => {
    const redis = await server();
    const c = await client(redis.port);
    await redis.pause();
    const reply = c.send('PING');
    // The process is stopped (checked in /proc): a reply cannot arrive before resume.
    expect(c.received).toBe(0);
    redis.resume();
    expect(await reply).toBe('+PONG');
  });

  it('fails at once, naming the package to install, when redis-server is missing', async () => {
    await expect(startRedisServer({ command: 'redis-server-not-installed-here' })).rejects.toThrow(
      /redis-server-not-installed-here was not found on PATH: install the redis-server package \(Debian\/Ubuntu: apt-get install/,
    );
  });

  it('rejects bad options with the option name', async () => {
    await expect(startRedisServer({ persistence: 'disk' as never })).rejects.toThrow(/persistence/);
  });
});

describe('startTcpProxy', () => {
  async function proxied(): Promise<{ redis: RedisLocalServer; proxy: TcpFaultProxy; c: RespLine }> {
    const redis = await server();
    const proxy = await startTcpProxy({ target: redis.port });
    cleanups.push(() => proxy.close());
    const c = await client(proxy.port);
    return { redis, proxy, c };
  }

  it('pipes commands through', async () => {
    const { proxy, c } = await proxied();
    expect(await c.send('SET', 'a', '1')).toBe('+OK');
    expect(await c.send('GET', 'a')).toBe('1');
    expect(proxy.accepted).toBe(1);
    expect(proxy.open).toBe(1);
  });

  it('stall holds every byte until the fault is cleared, then delivers them in order', async () => {
    const { proxy, c } = await proxied();
    proxy.setFault({ kind: 'stall' });
    const replies = [c.send('SET', 'a', '1'), c.send('GET', 'a')];
    // Let the commands reach the proxy and any (wrongly) forwarded reply come back.
    const probe = await client(proxy.port);
    const probeReply = probe.send('PING');
    expect(c.received).toBe(0);
    proxy.setFault(null);
    expect(await Promise.all(replies)).toEqual(['+OK', '1']);
    expect(await probeReply).toBe('+PONG');
  });

  it('delay forwards late but complete', async () => {
    const { proxy, c } = await proxied();
    proxy.setFault({ kind: 'delay', ms: 5 });
    expect(await c.send('PING')).toBe('+PONG');
    proxy.setFault(null);
    expect(await c.send('PING')).toBe('+PONG');
  });

  it('reset drops open connections and refuses new ones until cleared', async () => {
    const { proxy, c } = await proxied();
    const closed = new Promise<void>((resolve) => c.socket.once('close', () => resolve()));
    proxy.setFault({ kind: 'reset' });
    await closed;
    const next = await RespLine.open(proxy.port).catch((err: Error) => err);
    if (next instanceof RespLine) {
      cleanups.push(() => next.close());
      await expect(next.send('PING')).rejects.toThrow();
    }
    proxy.setFault(null);
    const fresh = await client(proxy.port);
    expect(await fresh.send('PING')).toBe('+PONG');
  });

  it('a killed server resets the client side', async () => {
    const { redis, c } = await proxied();
    const closed = new Promise<void>((resolve) => c.socket.once('close', () => resolve()));
    await redis.kill();
    await closed;
  });

  it('rejects a bad target or fault with the option name', async () => {
    await expect(startTcpProxy({ target: 0 })).rejects.toThrow(/target/);
    const { proxy } = await proxied();
    expect(() => proxy.setFault({ kind: 'delay', ms: -1 })).toThrow(/fault\.ms/);
    expect(() => proxy.setFault({ kind: 'nope' } as never)).toThrow(/fault\.kind/);
  });
});
