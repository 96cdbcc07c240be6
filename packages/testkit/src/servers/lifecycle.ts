import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildServer } from './child-server.js';
import type { LocalServer } from './types.js';

/** A child server with a fresh temporary directory of its own; see {@link startInTempDir}. */
export interface TempDirChild<Ready> {
  /** The running child. */
  readonly child: ChildServer<Ready>;
  /** The temporary directory the child was given. */
  readonly directory: string;
  /** Stops the child, then removes the directory. */
  stop(): Promise<void>;
}

/**
 * Makes a temporary directory named `prefix` + random characters and starts a child server with
 * it. When the child does not start, the directory is removed and the error is rethrown.
 */
export async function startInTempDir<Ready>(
  prefix: string,
  start: (directory: string) => Promise<ChildServer<Ready>>,
): Promise<TempDirChild<Ready>> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  const remove = () => rm(directory, { recursive: true, force: true });
  let child: ChildServer<Ready>;
  try {
    child = await start(directory);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    child,
    directory,
    async stop() {
      await child.stop();
      await remove();
    },
  };
}

/** `run` made safe to call twice: the first call runs it, every call returns that first promise. */
export function once(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= run();
    return running;
  };
}

/**
 * Creates `buckets` one after the other on a freshly started server. When one fails, the server
 * is stopped (so a failed start leaves nothing running) and the error is rethrown.
 */
export async function createBucketsOrStop(
  server: Pick<LocalServer<unknown>, 'createBucket' | 'stop'>,
  buckets: readonly string[],
): Promise<void> {
  try {
    for (const bucket of buckets) await server.createBucket(bucket);
  } catch (err) {
    await server.stop();
    throw err;
  }
}
