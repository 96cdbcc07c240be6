import { checkCallOptions } from './call-options.js';
import { InvalidArgumentError } from './errors.js';
import type { ByteRange, ListOptions } from './types.js';

/**
 * Validates a byte range: an object (not `null`), `start` a non-negative safe integer, `end`
 * (inclusive) when given an integer `>= start`. Throws {@link InvalidArgumentError} naming
 * `range`, `range.start` or `range.end`.
 */
export function validateRange(range: ByteRange | undefined, key?: string): void {
  if (range === undefined) return;
  const opt = key === undefined ? {} : { key };
  if (range === null || typeof range !== 'object' || Array.isArray(range)) {
    throw new InvalidArgumentError('range', 'must be an object { start, end? } when given', opt);
  }
  if (!Number.isSafeInteger(range.start) || range.start < 0) {
    throw new InvalidArgumentError('range.start', 'must be an integer >= 0', opt);
  }
  if (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start)) {
    throw new InvalidArgumentError('range.end', 'must be an integer >= range.start', opt);
  }
}

/**
 * Clamps a validated range to an object of `size` bytes: returns the inclusive `[start, end]`
 * to serve, or `null` when the range starts at or past the end (an empty read).
 */
export function resolveRange(
  range: ByteRange | undefined,
  size: number,
): { start: number; end: number } | null {
  if (range === undefined) return size === 0 ? null : { start: 0, end: size - 1 };
  if (range.start >= size) return null;
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Validates list options: an object when given (see `checkCallOptions`, which also checks
 * `signal`), `pageSize` an integer in 1..1000, `delimiter` a non-empty string, `prefix` a string;
 * neither may hold a control character (NUL...), which no key can contain.
 */
export function validateListOptions(options: ListOptions | undefined): void {
  if (options === undefined) return;
  checkCallOptions(options);
  if (
    options.pageSize !== undefined &&
    (!Number.isInteger(options.pageSize) || options.pageSize < 1 || options.pageSize > 1000)
  ) {
    throw new InvalidArgumentError('pageSize', 'must be an integer from 1 to 1000');
  }
  if (
    options.delimiter !== undefined &&
    (typeof options.delimiter !== 'string' || options.delimiter.length === 0)
  ) {
    throw new InvalidArgumentError('delimiter', 'must be a non-empty string');
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    throw new InvalidArgumentError('prefix', 'must be a string');
  }
  if (options.prefix !== undefined && CONTROL.test(options.prefix)) {
    throw new InvalidArgumentError('prefix', 'must not contain control characters (no key has them)');
  }
  if (options.delimiter !== undefined && CONTROL.test(options.delimiter)) {
    throw new InvalidArgumentError('delimiter', 'must not contain control characters');
  }
}
