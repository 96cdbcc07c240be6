import { InvalidOptionError } from '@failover/core';
import { validateKey } from './keys.js';

/**
 * Validates the `prefix` option of a cloud store (a key prefix inside its bucket or container,
 * e.g. `tenant-a/`) and returns it, `''` when not given. It must be a string that passes the key
 * rules ({@link validateKey}); otherwise an `InvalidOptionError` for `prefix` says why.
 */
export function keyPrefixOption(value: unknown): string {
  const prefix = value ?? '';
  if (typeof prefix !== 'string') throw new InvalidOptionError('prefix', 'must be a string');
  if (prefix !== '') {
    try {
      validateKey(prefix);
    } catch (err) {
      throw new InvalidOptionError('prefix', `must be a valid key prefix (${(err as Error).message})`);
    }
  }
  return prefix;
}

/**
 * Validates the `name` option of a store and returns it, `fallback` when not given: a string
 * with something other than white space in it (`InvalidOptionError` for `name` otherwise).
 */
export function storeNameOption(value: unknown, fallback: string): string {
  const name = value ?? fallback;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidOptionError('name', 'must be a non-empty string');
  }
  return name;
}
