import { InvalidOptionError } from '@failover/core';
import {
  blobInfo,
  checkPutSize,
  InvalidArgumentError,
  InvalidKeyError,
  keyPrefixOption,
  normalizeIfNoneMatch,
  normalizePutBody,
  normalizePutSize,
  prefixedKey,
  storeNameOption,
  validateKey,
} from '@failover/storage';
import { describe, expect, it } from 'vitest';

/** What `run` threw (fails the test when it returned). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('helpers the cloud adapters share', () => {
  it('prefixedKey validates the key and keeps prefix + key within 1024 UTF-8 bytes', () => {
    expect(prefixedKey('tenant/', 'a.txt')).toBe('tenant/a.txt');
    expect(prefixedKey('', 'k'.repeat(1024))).toHaveLength(1024);
    expect(prefixedKey('p/', 'ü'.repeat(511))).toBe(`p/${'ü'.repeat(511)}`);
    expect(thrown(() => prefixedKey('p/', 'ü'.repeat(512)))).toMatchObject({
      name: 'InvalidKeyError',
      kind: 'invalid',
      key: 'ü'.repeat(512),
    });
    expect(thrown(() => prefixedKey('p/', 'a/../b'))).toBeInstanceOf(InvalidKeyError);
    expect(thrown(() => prefixedKey('p/', 3))).toBeInstanceOf(InvalidKeyError);
  });

  // Printable ASCII keys take a shortcut past the rule-by-rule checks: the same answers.
  it.each([
    ['a.b', true],
    ['.hidden', true],
    ['a/..b/c', true],
    ['a/b.', true],
    ['...', true],
    ['a/.../b', true],
    ['k'.repeat(1024), true],
    ['k'.repeat(1025), false],
    ['.', false],
    ['..', false],
    ['./a', false],
    ['a/.', false],
    ['a/..', false],
    ['a/./b', false],
    ['a\u007fb', false],
    ['a\tb', false],
    ['', false],
  ])('validateKey(%j): valid %s', (key, valid) => {
    if (valid) expect(() => validateKey(key)).not.toThrow();
    else expect(thrown(() => validateKey(key))).toBeInstanceOf(InvalidKeyError);
  });

  it('blobInfo leaves out the optional fields that have no value', () => {
    const lastModified = new Date(0);
    const base = { key: 'k', size: 2, metadata: { a: '1' }, checksums: { md5: 'ab' } };
    const bare = blobInfo({ ...base, etag: undefined, contentType: undefined, lastModified: undefined });
    expect(bare).toStrictEqual(base);
    expect(Object.keys(bare)).not.toContain('etag');
    expect(blobInfo({ ...base, etag: 'e', contentType: 'text/plain', lastModified })).toStrictEqual({
      ...base,
      etag: 'e',
      contentType: 'text/plain',
      lastModified,
    });
  });

  it('put and copy options name the key and, when given, the store', () => {
    expect(normalizeIfNoneMatch(undefined, 'k')).toBe(false);
    expect(normalizeIfNoneMatch('*', 'k')).toBe(true);
    const badMatch = thrown(() => normalizeIfNoneMatch('x' as '*', 'k', 'store-a'));
    expect(badMatch).toBeInstanceOf(InvalidArgumentError);
    expect(badMatch).toMatchObject({ argument: 'ifNoneMatch', key: 'k', target: 'store-a' });
    expect(thrown(() => normalizeIfNoneMatch('x' as '*', 'k'))).toMatchObject({ target: undefined });

    expect(normalizePutSize(undefined, 'k')).toBeUndefined();
    expect(normalizePutSize(0, 'k')).toBe(0);
    for (const size of [-1, 1.5, Number.NaN]) {
      expect(thrown(() => normalizePutSize(size, 'k', 'store-a'))).toMatchObject({
        argument: 'size',
        key: 'k',
        target: 'store-a',
      });
    }

    expect(() => checkPutSize(undefined, 5, 'k', 'store-a')).not.toThrow();
    expect(() => checkPutSize(5, 5, 'k', 'store-a')).not.toThrow();
    const mismatch = thrown(() => checkPutSize(4, 5, 'k', 'store-a'));
    expect(mismatch).toMatchObject({ argument: 'size', key: 'k', target: 'store-a' });
    expect((mismatch as Error).message).toBe('Invalid size: is 4 but the body had 5 bytes');

    expect(normalizePutBody('hi', 'k')).toMatchObject({ type: 'bytes' });
    const badBody = thrown(() => normalizePutBody(42 as unknown as string, 'k', 'store-a'));
    expect(badBody).toMatchObject({ argument: 'body', key: 'k', target: 'store-a' });
    expect((badBody as Error).cause).toBeInstanceOf(TypeError);
  });

  it('keyPrefixOption accepts a key prefix and names the option otherwise', () => {
    expect(keyPrefixOption(undefined)).toBe('');
    expect(keyPrefixOption('')).toBe('');
    expect(keyPrefixOption('tenant-a/')).toBe('tenant-a/');
    for (const prefix of [3, '../', 'a/./b/', 'bad\u0000']) {
      const err = thrown(() => keyPrefixOption(prefix));
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect(err).toMatchObject({ option: 'prefix' });
    }
  });

  it('storeNameOption falls back to the default and refuses a blank name', () => {
    expect(storeNameOption(undefined, 'gcs:b')).toBe('gcs:b');
    expect(storeNameOption('mine', 'gcs:b')).toBe('mine');
    for (const name of ['', ' ', 7]) {
      expect(thrown(() => storeNameOption(name, 'gcs:b'))).toMatchObject({ option: 'name' });
    }
  });
});
