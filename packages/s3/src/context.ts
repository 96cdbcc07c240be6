import type { ErrorContext } from './errors.js';
import type { KeyLock } from './key-lock.js';
import type { ResolvedS3StoreOptions } from './options.js';

/** What every operation of one store shares: its resolved options and its key lock. */
export interface StoreContext extends ResolvedS3StoreOptions {
  /** Serializes emulated conditional writes per object key (see `conditionalWrites`). */
  readonly lock: KeyLock;
}

/** The {@link ErrorContext} of one operation of the store. */
export function errorContext(
  ctx: StoreContext,
  operation: ErrorContext['operation'],
  key: string | undefined,
  signal: AbortSignal | undefined,
): ErrorContext {
  return { target: ctx.name, bucket: ctx.bucket, operation, key, signal };
}
