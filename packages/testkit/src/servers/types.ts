/**
 * A real storage server started on 127.0.0.1 at a free port, with an official SDK client already
 * configured for it.
 */
export interface LocalServer<Client> {
  /** Which cloud this server stands in for. */
  readonly provider: 's3' | 'gcs' | 'azure';
  /** The server's origin, `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The endpoint the SDK is configured with (for Azure it includes the account path). */
  readonly endpoint: string;
  /** An official SDK client configured for this server. */
  readonly client: Client;
  /**
   * A new client with the same settings but talking to another origin, e.g. a fault proxy in
   * front of this server (`http://127.0.0.1:PROXY_PORT` or a `*.failover.test` host).
   */
  clientFor(origin: string, options?: ClientOptions): Client;
  /** Creates a bucket (S3, GCS) or container (Azure). Creating an existing one is not an error. */
  createBucket(name: string): Promise<void>;
  /** Stops the server and removes its data. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for clients made by {@link LocalServer.clientFor} and the `start*Server` functions. */
export interface ClientOptions {
  /**
   * The SDK's own retries: `0` turns them off (what failover tests want, so our router decides),
   * a number sets the SDK's maximum retries. Default: `0`.
   */
  sdkRetries?: number;
}
