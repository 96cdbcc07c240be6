import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { SERVER_KEEP_ALIVE_MS } from '../servers/keep-alive.js';
import { resetSocket } from './forward.js';
import { handleFaulted, type ProxyState } from './handle.js';
import { pathOf } from './respond.js';
import type { Random } from './rng.js';
import { selectFault } from './select.js';
import type { Fault, RequestInfo } from './types.js';

/** The address every fault proxy listens on. */
export const LISTEN_HOST = '127.0.0.1';

/**
 * The listening side of a fault proxy: the HTTP server, the connections open on it, and each
 * request handed to the fault of the moment (`fault()`). `createFaultProxy` (proxy.ts) switches
 * faults and decides when to listen and when to drop connections.
 *
 * @internal
 */
export class ProxyServer {
  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #held: Set<Socket>;
  #listening = false;

  constructor(state: ProxyState, fault: () => Fault, random: Random) {
    const { counts } = state;
    this.#held = state.held;
    // Clients keep their connections: idle ones are closed only after a minute, so a client's pool
    // rarely meets a connection the proxy closed. No request timeout: `blackhole` holds requests.
    this.#server = http.createServer({ requestTimeout: 0, keepAliveTimeout: SERVER_KEEP_ALIVE_MS });
    this.#server.on('connection', (socket: Socket) => {
      counts.connections++;
      this.#sockets.add(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#held.delete(socket);
      });
      // Connections that bypass the name (clients using the IP origin) while it does not resolve.
      if (fault().type === 'dns') {
        counts.byFault.dns++;
        socket.resetAndDestroy();
      }
    });
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      counts.total++;
      const current = fault();
      const info: RequestInfo = {
        method: (req.method ?? 'GET').toUpperCase(),
        path: pathOf(req),
        url: req.url ?? '/',
        headers: req.headers,
      };
      const applied = selectFault(current, info, random);
      if (applied === undefined) {
        // `refuse` or `dns` began while this connection was open: drop it.
        counts.byFault[current.type as 'refuse' | 'dns']++;
        resetSocket(res);
        return;
      }
      counts.byFault[applied.type]++;
      handleFaulted(state, applied, req, res).catch(() => {
        if (!res.writableEnded) resetSocket(res);
      });
    });
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** Listens on `port` of {@link LISTEN_HOST} (0: a free one); resolves with the port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(port, LISTEN_HOST, () => {
        this.#server.off('error', onError);
        this.#listening = true;
        const address = this.#server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Stops listening (new connections are refused) and drops every open connection. */
  async stop(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.drop('all');
    await closed;
  }

  /** Resets connections: every open one, or those whose request or response a fault holds. */
  drop(which: 'all' | 'held'): void {
    const sockets = which === 'all' ? this.#sockets : this.#held;
    for (const socket of [...sockets]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
    if (which === 'held') this.#held.clear();
  }
}
