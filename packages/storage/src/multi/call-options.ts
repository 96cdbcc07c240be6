import { InvalidArgumentError } from '../errors.js';
import type { MultiCloudCallOptions } from './types.js';

/** The largest delay `setTimeout` accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The per-operation `attemptTimeoutMs` of a multi-cloud store call, checked: an integer from 1 to
 * 2147483647 (ms), `false` for no limit, or `undefined` for the router's. Throws an
 * `InvalidArgumentError` otherwise.
 */
export function attemptTimeoutOf(options: MultiCloudCallOptions | undefined): number | false | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const v = options.attemptTimeoutMs;
  if (v === undefined || v === false) return v;
  if (!Number.isSafeInteger(v) || v < 1 || v > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      'attemptTimeoutMs',
      `must be an integer from 1 to ${MAX_TIMER_MS} (ms) or false, got ${String(v)}`,
    );
  }
  return v;
}

/** The options without the store's own per-call settings (what the shared option checks expect). */
export function withoutCallOptions<O extends object>(
  options: (O & MultiCloudCallOptions) | undefined,
): O | undefined {
  if (options === null || typeof options !== 'object' || !('attemptTimeoutMs' in options)) return options;
  const { attemptTimeoutMs: _, ...rest } = options;
  return rest as O;
}
