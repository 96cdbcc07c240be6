import { collectStream } from './chunks.js';
import { InvalidArgumentError, StorageError } from './errors.js';
import type { BlobInfo, BlobStore, GetOptions, PutOptions } from './types.js';

/** The content type {@link putJson} stores unless told otherwise. */
export const JSON_CONTENT_TYPE = 'application/json';

/**
 * Reads a whole object (or the `range` of it) into memory. Missing: `NotFoundError`. Aborting
 * `signal`, before or during the read, rejects with core's `AbortedError`.
 *
 * @example
 * const bytes = await getBytes(store, 'images/logo.png');
 */
export async function getBytes(store: BlobStore, key: string, options?: GetOptions): Promise<Buffer> {
  const { body } = await store.get(key, options);
  return collectStream(body, options?.signal, key);
}

/**
 * Reads a whole object as UTF-8 text (invalid byte sequences become U+FFFD).
 *
 * @example
 * const csv = await getText(store, 'reports/2025-10.csv');
 */
export async function getText(store: BlobStore, key: string, options?: GetOptions): Promise<string> {
  return (await getBytes(store, key, options)).toString('utf8');
}

/**
 * Reads a whole object and parses it as JSON. Content that is not JSON rejects with a
 * `StorageError` of kind `invalid` whose `cause` is the `SyntaxError`. The result is not checked
 * against `T`: validate it if it comes from an untrusted writer.
 *
 * @example
 * const settings = await getJson<Settings>(store, 'config/settings.json');
 */
export async function getJson<T = unknown>(store: BlobStore, key: string, options?: GetOptions): Promise<T> {
  const text = await getText(store, key, options);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StorageError('invalid', `Object ${JSON.stringify(key)} is not valid JSON`, {
      key,
      target: store.name,
      cause: err,
    });
  }
}

/**
 * Writes `value` as JSON (UTF-8), with content type `application/json` unless
 * `options.contentType` says otherwise. A value JSON cannot represent (`undefined`, a function, a
 * cycle, a `BigInt`) is an `InvalidArgumentError` (`argument: 'value'`) and nothing is written.
 *
 * @example
 * await putJson(store, 'config/settings.json', { theme: 'dark' }, { ifNoneMatch: '*' });
 */
export async function putJson(
  store: BlobStore,
  key: string,
  value: unknown,
  options?: PutOptions,
): Promise<BlobInfo> {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new InvalidArgumentError('value', 'cannot be serialised as JSON', { key, cause: err });
  }
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(
      'value',
      'cannot be serialised as JSON (undefined, a function or a symbol)',
      {
        key,
      },
    );
  }
  return store.put(key, text, { ...options, contentType: options?.contentType ?? JSON_CONTENT_TYPE });
}
