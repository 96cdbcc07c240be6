import { checkCallOptions } from './call-options.js';
import { normalizeIfMatch } from './put-options.js';
import type { DeleteOptions } from './types.js';

/** {@link DeleteOptions} checked, as a store applies them. */
export interface NormalizedDeleteOptions {
  /** The entity tag the object at the key must have for the delete to happen (`ifMatch`), when given. */
  readonly ifMatch: string | undefined;
  /** The caller's signal. */
  readonly signal: AbortSignal | undefined;
}

/**
 * Validates {@link DeleteOptions} of a delete of `key`: `options` absent or an object, `signal` an
 * `AbortSignal` (see `checkCallOptions`), `ifMatch` an entity tag as `put` takes it (see
 * `normalizeIfMatch`). Throws `InvalidArgumentError` naming the bad option, with the store as
 * `target` when given. Every store calls it first, so a bad delete fails at once, deleting nothing.
 */
export function normalizeDeleteOptions(
  key: string,
  options: DeleteOptions | undefined,
  target?: string,
): NormalizedDeleteOptions {
  const o = checkCallOptions(options, { key, target });
  return { ifMatch: normalizeIfMatch(o.ifMatch, key, target), signal: o.signal };
}
