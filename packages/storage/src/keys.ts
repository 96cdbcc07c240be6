import { InvalidKeyError } from './errors.js';

/** The longest key every cloud accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Printable ASCII: no control character or surrogate, one UTF-8 byte per character. */
const PLAIN = /^[\x20-\x7e]+$/;
/** A `.` or `..` path segment. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Checks a key against the rules every store applies the same way, and throws
 * {@link InvalidKeyError} naming the broken rule: not a string, empty, over 1024 UTF-8 bytes,
 * a control character, a lone surrogate (not encodable as UTF-8), or a `.` or `..` path segment.
 */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(key, 'a key must be a string');
  // The common key (printable ASCII, no `.` or `..` segment) passes every rule: checked at once
  // (every get, head and put validates its key, some twice).
  if (key.length > 0 && key.length <= MAX_KEY_BYTES && PLAIN.test(key) && !DOT_SEGMENT.test(key)) return;
  if (key.length === 0) throw new InvalidKeyError(key, 'a key must not be empty');
  if (CONTROL.test(key)) throw new InvalidKeyError(key, 'a key must not contain control characters');
  if (LONE_SURROGATE.test(key))
    throw new InvalidKeyError(key, 'a key must be valid Unicode (lone surrogate)');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidKeyError(key, `a key must be at most ${MAX_KEY_BYTES} UTF-8 bytes`);
  }
  for (const segment of key.split('/')) {
    if (segment === '.' || segment === '..') {
      throw new InvalidKeyError(key, 'a key must not contain "." or ".." path segments');
    }
  }
}

/**
 * Validates `key` (see {@link validateKey}) and returns the object name a store with a key
 * `prefix` inside its bucket or container uses for it: `prefix + key`, which must still fit the
 * 1024 UTF-8 bytes every cloud allows ({@link InvalidKeyError} otherwise).
 */
export function prefixedKey(prefix: string, key: unknown): string {
  validateKey(key);
  const name = prefix + key;
  if (prefix !== '' && Buffer.byteLength(name, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidKeyError(
      key,
      `with the store prefix, a key must be at most ${MAX_KEY_BYTES} UTF-8 bytes`,
    );
  }
  return name;
}
