import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { startChildServer } from './child-server.js';
import { bucketsOf, type LocalServerOptions, parseOrigin, sdkRetriesOf } from './client-options.js';
import { launcherPath } from './launchers.js';
import { createBucketsOrStop, once, startInTempDir } from './lifecycle.js';
import type { ClientOptions, LocalServer } from './types.js';

/** Options of {@link startS3Server}. */
export type S3ServerOptions = LocalServerOptions;

/** The access key s3rver accepts (any other gets 403 InvalidAccessKeyId); signatures are not checked. */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** A running s3rver with an `S3Client` configured for it. */
export interface S3LocalServer extends LocalServer<S3Client> {
  readonly provider: 's3';
  /** The full client settings used for {@link LocalServer.client} (without `endpoint`/`maxAttempts`). */
  readonly clientConfig: Readonly<S3ClientConfig>;
  /** The s3rver child's process id. */
  readonly pid: number;
  /** The temporary directory holding the objects; removed by {@link LocalServer.stop}. */
  readonly directory: string;
}

/**
 * Starts s3rver (the S3 emulator) on `127.0.0.1` at a free port, in a child Node process run with
 * `--openssl-legacy-provider` (s3rver needs it for ListObjectsV2 continuation tokens), with its
 * data in a fresh temporary directory.
 *
 * The client is an `S3Client` from `@aws-sdk/client-s3` (an optional peer dependency, loaded
 * here): region `us-east-1`, credentials `S3RVER`/`S3RVER`, path-style addressing, checksums only
 * when required (s3rver would store aws-chunked framing inside objects otherwise) and
 * `maxAttempts = sdkRetries + 1` (default: no SDK retries).
 *
 * @example
 * const s3 = await startS3Server({ buckets: ['photos'] });
 * await s3.client.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a.txt', Body: 'hi' }));
 * await s3.stop();
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3LocalServer> {
  const sdkRetries = sdkRetriesOf(options);
  const buckets = bucketsOf(options);
  const sdk = await import('@aws-sdk/client-s3');

  const { child, directory, stop: stopChild } = await startInTempDir('failover-s3rver-', startS3rverChild);
  const origin = `http://127.0.0.1:${child.ready.port}`;

  const clientConfig: Readonly<S3ClientConfig> = Object.freeze({
    region: 'us-east-1',
    credentials: { ...S3RVER_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const clientFor = (target: string, clientOptions?: ClientOptions): S3Client => {
    const url = parseOrigin(target);
    return new sdk.S3Client({
      ...clientConfig,
      endpoint: url.origin,
      maxAttempts: sdkRetriesOf({ sdkRetries: clientOptions?.sdkRetries ?? sdkRetries }) + 1,
    });
  };
  const client = clientFor(origin, { sdkRetries });

  const createBucket = async (name: string): Promise<void> => {
    try {
      await client.send(new sdk.CreateBucketCommand({ Bucket: name }));
    } catch (err) {
      const code = (err as { name?: string }).name;
      if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
    }
  };

  const stop = once(async () => {
    client.destroy();
    await stopChild();
  });
  await createBucketsOrStop({ createBucket, stop }, buckets);

  return {
    provider: 's3',
    origin,
    endpoint: origin,
    client,
    clientConfig,
    pid: child.pid,
    directory,
    clientFor,
    createBucket,
    stop,
  };
}

function startS3rverChild(directory: string) {
  return startChildServer({
    name: 's3rver',
    args: [
      '--openssl-legacy-provider',
      '--require',
      launcherPath('exit-with-parent.cjs'),
      '--require',
      launcherPath('keep-alive.cjs'),
      launcherPath('s3rver.cjs'),
      directory,
    ],
    ready(line): { port: number } | undefined {
      if (!line.startsWith('{')) return undefined;
      try {
        const message = JSON.parse(line) as { event?: unknown; port?: unknown };
        if (message.event === 'ready' && typeof message.port === 'number') return { port: message.port };
      } catch {
        // not our JSON line
      }
      return undefined;
    },
  });
}
