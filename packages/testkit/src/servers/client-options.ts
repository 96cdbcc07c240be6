import { checkInt, InvalidOptionError, optionError, readOptions } from '@failover/core';
import type { ClientOptions } from './types.js';

/** Options of `startS3Server` and `startAzureServer`. */
export interface LocalServerOptions extends ClientOptions {
  /** Buckets (S3) or containers (Azure) to create before the server is returned. */
  buckets?: readonly string[];
}

/** The SDK retry count from `options.sdkRetries`, validated (default `0`). */
export function sdkRetriesOf(options: ClientOptions | undefined): number {
  return checkInt('sdkRetries', options?.sdkRetries, { min: 0, default: 0 }) as number;
}

/** Validates `options.buckets`: an array of non-empty strings. */
export function bucketsOf(options: LocalServerOptions | undefined): readonly string[] {
  const r = readOptions({ buckets: options?.buckets });
  const buckets = r.array('buckets', { of: 'non-empty bucket names' }) ?? [];
  buckets.forEach((b, i) => {
    if (typeof b !== 'string' || b === '')
      throw optionError(r.at('buckets', i), 'a non-empty bucket name', b);
  });
  return buckets as readonly string[];
}

/** Validates an origin given to `clientFor`: an absolute http(s) URL without a path. */
export function parseOrigin(origin: string): URL {
  let url: URL;
  try {
    url = new URL(origin);
  } catch (cause) {
    throw Object.assign(optionError('origin', 'an http(s) origin such as http://127.0.0.1:9000', origin), {
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError('origin', `must be an http: or https: origin, got ${url.protocol}`);
  }
  return url;
}
