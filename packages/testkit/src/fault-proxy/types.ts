/**
 * Which cloud's error format the proxy imitates when it answers with a status of its own, so the
 * official SDK parses the error as it would parse the real service's:
 *
 * - `s3`: XML `<Error><Code>SlowDown</Code>...` (503 `SlowDown`, 500 `InternalError`, ...)
 * - `gcs`: JSON `{ "error": { "code", "message", "errors": [{ "domain", "reason", "message" }] } }`
 * - `azure`: XML `<Error><Code>ServerBusy</Code>...` plus the `x-ms-error-code` header
 * - `http`: a plain-text body (`503 Service Unavailable`)
 */
export type FaultFlavor = 's3' | 'gcs' | 'azure' | 'http';

/** What a {@link RequestMatch} function sees of a request. */
export interface RequestInfo {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path, without the query string (`/bucket/key`). */
  readonly path: string;
  /** The request target as sent: path and query string (`/bucket?list-type=2`). */
  readonly url: string;
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Which requests a fault applies to. Every given field must match:
 * - `method`: one method or a list (case-insensitive);
 * - `path`: a string is a prefix of the path (no query string); a RegExp is tested against the
 *   whole request target (path and query string), so S3 operations that differ by query can be told
 *   apart (`/\?list-type=2/`).
 *
 * A function decides by itself.
 */
export type RequestMatch =
  | {
      readonly method?: string | readonly string[];
      readonly path?: string | RegExp;
    }
  | ((request: RequestInfo) => boolean);

/** Options every request-level fault takes, to make it partial (a brown-out rather than an outage). */
export interface PartialFault {
  /**
   * The share of matching requests the fault applies to, from 0 to 1 (default 1). Draws come from
   * the proxy's seedable random generator ({@link FaultProxyOptions.seed}); requests the draw
   * spares pass through unchanged.
   */
  readonly probability?: number;
  /** Only requests that match are candidates for the fault; the others pass through. */
  readonly match?: RequestMatch;
}

/**
 * Forward requests unchanged. Alone, it ends every fault; inside a {@link MixFault}, a `pass` with
 * a `match` shields the requests it matches from the faults listed after it.
 */
export interface PassFault extends PartialFault {
  readonly type: 'pass';
}

/**
 * Answer without forwarding: the request body is read and dropped, then the proxy replies with
 * `status`. Without `body`, the proxy's {@link FaultFlavor} supplies the body and headers that
 * cloud sends for that status, with `code` as the error code when given.
 */
export interface StatusFault extends PartialFault {
  readonly type: 'status';
  /** HTTP status, 100..599 (typically 429, 500, 503). */
  readonly status: number;
  /**
   * The error code put into the flavor's body: S3 and Azure `<Code>`, Azure `x-ms-error-code`,
   * GCS `errors[0].reason`. Default: the cloud's usual code for the status (S3 503: `SlowDown`,
   * Azure 503: `ServerBusy`, GCS 429: `rateLimitExceeded`...).
   */
  readonly code?: string;
  /** The error message put into the flavor's body. Default: the cloud's usual text. */
  readonly message?: string;
  /** Adds `Retry-After: <seconds>`. Default for 429: 1. */
  readonly retryAfterSeconds?: number;
  /** Extra response headers (they override the flavor's). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The exact body to send instead of the flavor's. */
  readonly body?: string | Uint8Array;
  /** Wait this long (ms) before answering: a slow error, as in a brown-out. */
  readonly delayMs?: number;
}

/**
 * Forward, but slowly: wait `ms` before forwarding; optionally wait `perChunkMs` before each chunk
 * of the response body, and cap the response body's speed at `bytesPerSecond`.
 */
export interface LatencyFault extends PartialFault {
  readonly type: 'latency';
  /** Delay before the request is forwarded, in milliseconds. */
  readonly ms: number;
  /** Delay before each chunk of the response body, in milliseconds. */
  readonly perChunkMs?: number;
  /** Response body bandwidth cap, bytes per second. */
  readonly bytesPerSecond?: number;
}

/**
 * Reset the client's connection (TCP RST: the client sees `ECONNRESET`). Without `afterBytes`
 * the connection is reset as soon as the request arrives, before forwarding; with it, the request
 * is forwarded and the connection is reset after that many bytes of the response body were sent
 * (a download cut in the middle).
 */
export interface ResetFault extends PartialFault {
  readonly type: 'reset';
  /** Forward, then reset after this many response body bytes. */
  readonly afterBytes?: number;
  /** Wait this long (ms) before resetting a request that is not forwarded. */
  readonly delayMs?: number;
}

/**
 * Forward, then close the client's connection cleanly (FIN, no RST) after `afterBytes` bytes of
 * the response body: the response stops short of its `Content-Length` (or its last chunk) as when
 * a middlebox or a crashing server drops it. Clients that watch for premature ends see an error;
 * others may wait forever for the rest.
 */
export interface CutFault extends PartialFault {
  readonly type: 'cut';
  /** Response body bytes sent before the connection is closed. Default 0 (right after the headers). */
  readonly afterBytes?: number;
}

/**
 * Forward, but flip every bit of one byte of the response body, the one at offset `afterBytes`
 * (default 0): a copy that went bad at rest (a faulty disk, bit rot) served with the right status,
 * headers and length, or a middlebox that damages what it carries. A body too short to reach that
 * offset passes unchanged. Give it a `match`: flipping a byte of a listing or of an error body
 * breaks its parsing rather than the data.
 */
export interface CorruptFault extends PartialFault {
  readonly type: 'corrupt';
  /** Offset in the response body of the byte flipped. Default 0 (its first byte). */
  readonly afterBytes?: number;
}

/**
 * Forward, then go silent after `afterBytes` bytes of the response body: the connection stays
 * open and nothing more arrives, as when a server hangs in the middle of a response. Held
 * connections are dropped when the fault changes or the proxy closes.
 */
export interface StallFault extends PartialFault {
  readonly type: 'stall';
  /** Response body bytes sent before the silence. Default 0 (right after the headers). */
  readonly afterBytes?: number;
}

/**
 * Accept the request and never answer: the connection stays open and silent until the fault
 * changes (held connections are then destroyed) or the proxy closes. The client gives up through
 * its own timeout or AbortSignal.
 */
export interface BlackholeFault extends PartialFault {
  readonly type: 'blackhole';
}

/**
 * Nothing listens: the proxy stops its listener and drops every open connection, so connects get
 * `ECONNREFUSED`. When the fault changes, the proxy listens again on the same port.
 */
export interface RefuseFault {
  readonly type: 'refuse';
}

/**
 * The proxy's host name stops resolving: `dns.lookup` of {@link FaultProxy.url}'s host (and of
 * its sub-domains) fails with `ENOTFOUND`, as in the AWS us-east-1 outage of October 2025. Needs
 * the proxy's `hostname` option. Open connections are dropped when the fault starts, and
 * connections that still arrive (clients that use the IP {@link FaultProxy.origin}) are reset.
 */
export interface DnsFault {
  readonly type: 'dns';
}

/**
 * Several request-level faults at once, for a brown-out: for each request the first fault whose
 * `match` and `probability` select it applies; a request none selects passes through.
 */
export interface MixFault {
  readonly type: 'mix';
  readonly faults: readonly RequestFault[];
}

/** The faults that act on one request at a time (they can be partial). */
export type RequestFault =
  | PassFault
  | StatusFault
  | LatencyFault
  | ResetFault
  | CutFault
  | CorruptFault
  | StallFault
  | BlackholeFault;

/** Everything the proxy can do to the traffic; switch with {@link FaultProxy.setFault}. */
export type Fault = RequestFault | RefuseFault | DnsFault | MixFault;

/** The name of a fault kind, as counted in {@link FaultProxyCounts.byFault}. */
export type FaultType = Exclude<Fault['type'], 'mix'>;

/** What the proxy has seen since it started or since {@link FaultProxy.resetCounts}. */
export interface FaultProxyCounts {
  /** HTTP requests received (plus DNS lookups failed by the `dns` fault). */
  readonly total: number;
  /** TCP connections accepted. */
  readonly connections: number;
  /** Requests forwarded to the target. */
  readonly forwarded: number;
  /**
   * What was done to each request: `pass` counts requests that went through untouched (including
   * those a partial fault spared); `dns` counts failed lookups and connections reset under it.
   */
  readonly byFault: Readonly<Record<FaultType, number>>;
  /** Response statuses sent to clients, injected or forwarded, by status code. */
  readonly byStatus: Readonly<Record<number, number>>;
}

/** Options of {@link createFaultProxy}. */
export interface FaultProxyOptions {
  /** The origin to forward to, e.g. a local server's `origin` (`http://127.0.0.1:PORT`). */
  target: string;
  /** The fault at start. Default: `{ type: 'pass' }`. */
  fault?: Fault;
  /** Which cloud's error bodies `status` faults imitate. Default: `'http'`. */
  flavor?: FaultFlavor;
  /**
   * A name for the proxy under the reserved `failover.test` domain (`'aws-us-east-1'` becomes
   * `aws-us-east-1.failover.test`; a name already ending in `.failover.test` is kept). Installs
   * the fault DNS hook ({@link installFaultDns}) and makes {@link FaultProxy.url} use the name, so
   * the `dns` fault can make it stop resolving.
   */
  hostname?: string;
  /** Seed of the random generator behind `probability`. Default: a random seed. */
  seed?: number;
  /** Port to listen on. Default: 0 (a free port). */
  port?: number;
}

/** A fault-injection proxy between an SDK and its server. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The port the proxy listens on (kept across `refuse`). */
  readonly port: number;
  /** The host clients should use: the `failover.test` name when given, else `127.0.0.1`. */
  readonly host: string;
  /** `http://HOST:PORT`: what clients should be pointed at. Equals `origin` without `hostname`. */
  readonly url: string;
  /** The target origin requests are forwarded to. */
  readonly target: string;
  /** The fault in force. */
  readonly fault: Fault;
  /** Live counters (read them after the calls you want to assert on). */
  readonly counts: FaultProxyCounts;
  /**
   * Switches the fault. Requests already being handled keep the fault they started with, except
   * that requests held by `blackhole` are dropped, and `refuse` and `dns` drop every open
   * connection. Resolves once the fault is in force (for `refuse`, once the listener is closed; when
   * leaving `refuse`, once it listens again). Throws `InvalidOptionError` for a malformed fault.
   */
  setFault(fault: Fault): Promise<void>;
  /** Sets every counter back to zero. */
  resetCounts(): void;
  /** Stops the proxy: closes the listener, destroys every socket, releases its DNS name. Idempotent. */
  close(): Promise<void>;
}
