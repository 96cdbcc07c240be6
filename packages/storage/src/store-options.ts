import { InvalidOptionError, readOptions } from '@failover/core';
import { validateKey } from './keys.js';

/**
 * Validates the `prefix` option of a cloud store (a key prefix inside its bucket or container,
 * e.g. `tenant-a/`) and returns it, `''` when not given. It must be a string that passes the key
 * rules ({@link validateKey}); otherwise an `InvalidOptionError` for `path` (default `prefix`)
 * says why.
 */
export function keyPrefixOption(value: unknown, path = 'prefix'): string {
  const prefix = readOptions({ [path]: value }).string(path, { allowEmpty: true, default: '' });
  if (prefix !== '') {
    try {
      validateKey(prefix);
    } catch (err) {
      throw new InvalidOptionError(path, `must be a valid key prefix (${(err as Error).message})`);
    }
  }
  return prefix;
}

/**
 * Validates the `name` option of a store and returns it, `fallback` when not given: a string
 * with something other than white space in it (`InvalidOptionError` for `path`, default `name`,
 * otherwise).
 */
export function storeNameOption(value: unknown, fallback: string, path = 'name'): string {
  return readOptions({ [path]: value }).string(path, { notBlank: true, default: fallback });
}
