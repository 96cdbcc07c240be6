/**
 * A fault of the TCP proxy. It applies to open connections and to new ones until it is changed.
 *
 * - `delay`: every chunk, both ways, is forwarded `ms` milliseconds late (order kept): a slow
 *   network or a slow server.
 * - `stall`: nothing is forwarded (chunks are held, in order) until the fault is cleared: a hung
 *   network. New connections are accepted and also stall.
 * - `reset`: every open connection is reset (RST) and new ones are reset as soon as they are
 *   accepted: a server that is down.
 */
export type TcpFault =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'stall' }
  | { readonly kind: 'reset' };

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Where connections go: a port on `127.0.0.1`, or `{ host, port }`. */
  target: number | { readonly host: string; readonly port: number };
  /** The fault in force from the start. Default: none (connections are piped as they are). */
  fault?: TcpFault | null;
}

/** A running TCP proxy on `127.0.0.1`, in front of one server (e.g. a test `redis-server`). */
export interface TcpFaultProxy {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The proxy's port: point clients here instead of at the server. */
  readonly port: number;
  /** The fault in force, or `null`. */
  readonly fault: TcpFault | null;
  /** How many connections the proxy accepted so far. */
  readonly accepted: number;
  /** How many connections are open now. */
  readonly open: number;
  /**
   * Sets (or, with `null`, clears) the fault. Clearing a `stall` forwards what was held; clearing
   * a `delay` leaves chunks already scheduled to arrive on time.
   */
  setFault(fault: TcpFault | null): void;
  /** Resets (RST) every open connection now, whatever the fault. */
  resetConnections(): void;
  /** Stops accepting, destroys every connection and closes the listener. Safe to call twice. */
  close(): Promise<void>;
}
