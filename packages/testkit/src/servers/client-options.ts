import { InvalidOptionError } from '@failover/core';
import type { ClientOptions } from './types.js';

/** Options of `startS3Server` and `startAzureServer`. */
export interface LocalServerOptions extends ClientOptions {
  /** Buckets (S3) or containers (Azure) to create before the server is returned. */
  buckets?: readonly string[];
}

/** The SDK retry count from `options.sdkRetries`, validated (default `0`). */
export function sdkRetriesOf(options: ClientOptions | undefined): number {
  const value = options?.sdkRetries ?? 0;
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError('sdkRetries', `must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** Validates `options.buckets`: an array of non-empty strings. */
export function bucketsOf(options: LocalServerOptions | undefined): readonly string[] {
  const buckets = options?.buckets ?? [];
  if (!Array.isArray(buckets) || buckets.some((b) => typeof b !== 'string' || b === '')) {
    throw new InvalidOptionError('buckets', 'must be an array of non-empty bucket names');
  }
  return buckets;
}

/** Validates an origin given to `clientFor`: an absolute http(s) URL without a path. */
export function parseOrigin(origin: string): URL {
  let url: URL;
  try {
    url = new URL(origin);
  } catch (cause) {
    throw Object.assign(new InvalidOptionError('origin', `not a URL: ${JSON.stringify(origin)}`), { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError('origin', `must be http: or https:, got ${url.protocol}`);
  }
  return url;
}
