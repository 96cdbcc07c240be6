import type { Storage, StorageOptions } from '@google-cloud/storage';
import { createGcsEmulator } from '../gcs/emulator.js';
import type { GcsEmulator } from '../gcs/types.js';
import { bucketsOf, type LocalServerOptions, parseOrigin, sdkRetriesOf } from './client-options.js';
import { once } from './lifecycle.js';
import type { ClientOptions, LocalServer } from './types.js';

/** Options for {@link startGcsServer}: `buckets` to create, and the client's `sdkRetries`. */
export type GcsServerOptions = LocalServerOptions;

/** The SDK's retry settings (`StorageOptions.retryOptions`). */
export type GcsRetryOptions = NonNullable<StorageOptions['retryOptions']>;

/** A running GCS emulator with a configured `Storage` client; see {@link startGcsServer}. */
export interface GcsLocalServer extends LocalServer<Storage> {
  readonly provider: 'gcs';
  /** The emulator itself: its request log, data helpers, and `stop()`/`start()` for restarts. */
  readonly emulator: GcsEmulator;
}

/** The project id every client made here uses (the emulator accepts any). */
const PROJECT_ID = 'test';

/**
 * Starts the testkit GCS emulator on 127.0.0.1 at a free port and returns it with a
 * `@google-cloud/storage` client configured for it (`apiEndpoint` = the origin, project `test`,
 * no credentials looked up). `sdkRetries` (default `0`) sets the client's own retries: `0`
 * turns them off (`retryOptions.autoRetry: false`). `@google-cloud/storage` is an optional peer
 * dependency, loaded only here.
 */
export async function startGcsServer(options: GcsServerOptions = {}): Promise<GcsLocalServer> {
  const sdkRetries = sdkRetriesOf(options);
  const buckets = bucketsOf(options);
  const { Storage: StorageClass } = await loadSdk();
  const emulator = createGcsEmulator({ buckets });
  const { origin } = await emulator.start();

  const clientFor = (target: string, clientOptions?: ClientOptions): Storage => {
    const retries = sdkRetriesOf({ sdkRetries: clientOptions?.sdkRetries ?? sdkRetries });
    const storageOptions: StorageOptions = {
      apiEndpoint: parseOrigin(target).origin,
      projectId: PROJECT_ID,
      retryOptions: gcsRetryOptions(retries),
    };
    return new StorageClass(storageOptions);
  };

  return {
    provider: 'gcs',
    origin,
    endpoint: origin,
    client: clientFor(origin),
    emulator,
    clientFor,
    async createBucket(name: string): Promise<void> {
      await emulator.createBucket(name);
    },
    stop: once(async () => {
      await emulator.stop();
      await emulator.reset();
    }),
  };
}

/** The `retryOptions` for a number of SDK retries: `0` disables retrying altogether. */
export function gcsRetryOptions(retries: number): GcsRetryOptions {
  // The SDK treats `maxRetries: 0` as "unset" (default 3); `autoRetry: false` is what stops it.
  return retries === 0 ? { autoRetry: false, maxRetries: 0 } : { autoRetry: true, maxRetries: retries };
}

async function loadSdk(): Promise<typeof import('@google-cloud/storage')> {
  try {
    return await import('@google-cloud/storage');
  } catch (cause) {
    throw new Error(
      'startGcsServer needs the optional peer dependency @google-cloud/storage (7.x or 8.x); install it next to @failover/testkit',
      { cause },
    );
  }
}
