import { createConnection, createServer, type Socket } from 'node:net';
import { optionError, readOptions } from '@failover/core';
import { FaultyPipe } from './pipe.js';
import type { TcpFault, TcpFaultProxy, TcpProxyOptions } from './types.js';

const HOST = '127.0.0.1';

interface Connection {
  readonly client: Socket;
  readonly server: Socket;
  readonly pipes: readonly FaultyPipe[];
}

/**
 * Starts a TCP proxy on `127.0.0.1` at a free port in front of `target`, for servers that do not
 * speak HTTP (the HTTP fault proxy, {@link createFaultProxy}, cannot stand in front of Redis). It
 * injects connection-level faults: delays, stalls (a hung network) and resets (a server that is
 * down); see {@link TcpFault}.
 *
 * @example
 * const redis = await startRedisServer();
 * const proxy = await startTcpProxy({ target: redis.port });
 * const client = await createClient({ url: `redis://127.0.0.1:${proxy.port}` }).connect();
 * proxy.setFault({ kind: 'stall' }); // every command now hangs
 * proxy.setFault(null);
 * await proxy.close();
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpFaultProxy> {
  const r = readOptions(options);
  const target = parseTarget(r.value('target'));
  let fault: TcpFault | null = checkFault(r.value('fault') ?? null);
  r.done();
  let accepted = 0;
  const connections = new Set<Connection>();

  const reset = (connection: Connection): void => {
    for (const pipe of connection.pipes) pipe.dispose();
    connection.client.resetAndDestroy();
    connection.server.destroy();
    connections.delete(connection);
  };

  const listener = createServer({ pauseOnConnect: false }, (client) => {
    accepted++;
    client.on('error', () => undefined);
    if (fault?.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const server = createConnection({ host: target.host, port: target.port });
    server.on('error', () => undefined);
    const current = () => fault;
    const connection: Connection = {
      client,
      server,
      pipes: [new FaultyPipe(client, server, current), new FaultyPipe(server, client, current)],
    };
    connections.add(connection);
    const close = (): void => {
      if (!connections.has(connection)) return;
      connections.delete(connection);
      for (const pipe of connection.pipes) pipe.dispose();
      client.destroy();
      server.destroy();
    };
    client.once('close', close);
    server.once('close', () => {
      // The server went away: reset the client so it notices at once.
      if (connections.has(connection)) reset(connection);
    });
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, HOST, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  listener.unref();
  const address = listener.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let closing: Promise<void> | undefined;

  return {
    host: HOST,
    port,
    get fault() {
      return fault;
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return connections.size;
    },
    setFault(next) {
      fault = checkFault(next);
      if (fault?.kind === 'reset') {
        for (const connection of [...connections]) reset(connection);
        return;
      }
      for (const connection of connections) for (const pipe of connection.pipes) pipe.pump();
    },
    resetConnections() {
      for (const connection of [...connections]) reset(connection);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const connection of [...connections]) reset(connection);
        listener.close(() => resolve());
      });
      return closing;
    },
  };
}

function parseTarget(target: unknown): { host: string; port: number } {
  const valid = (port: unknown): port is number =>
    typeof port === 'number' && Number.isSafeInteger(port) && port > 0 && port < 65536;
  if (valid(target)) return { host: HOST, port: target };
  if (target !== null && typeof target === 'object') {
    const { host, port } = target as { host?: unknown; port?: unknown };
    if (typeof host === 'string' && host !== '' && valid(port)) return { host, port };
  }
  throw optionError('target', 'a port on 127.0.0.1 or { host, port }', target);
}

function checkFault(fault: unknown): TcpFault | null {
  if (fault === null) return null;
  const f = fault as { kind?: unknown; ms?: unknown } | undefined;
  if (f?.kind === 'stall' || f?.kind === 'reset') return { kind: f.kind };
  if (f?.kind === 'delay') {
    return { kind: 'delay', ms: readOptions(fault, 'fault').number('ms', { min: 0, required: true }) };
  }
  throw optionError('fault.kind', '"delay", "stall" or "reset" (or the fault null)', f?.kind);
}
