import { InvalidOptionError } from '@failover/core';
import { createGcsStore } from '@failover/gcs';
import { Storage } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';

// A real client pointed at a closed port: constructing a store makes no request.
const storage = new Storage({ apiEndpoint: 'http://127.0.0.1:9', projectId: 'test' });
const bucket = storage.bucket('options-bucket');

function optionError(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('createGcsStore options', () => {
  it('names the store after the bucket and prefix by default', () => {
    expect(createGcsStore({ bucket }).name).toBe('gcs:options-bucket');
    expect(createGcsStore({ bucket, prefix: 'tenant-a/' }).name).toBe('gcs:options-bucket/tenant-a');
    expect(createGcsStore({ bucket, name: 'gcs-eu' }).name).toBe('gcs-eu');
  });

  it('rejects a missing or foreign bucket, naming the option', () => {
    expect(optionError(() => createGcsStore({} as never)).option).toBe('bucket');
    expect(optionError(() => createGcsStore({ bucket: 'my-bucket' } as never)).option).toBe('bucket');
    expect(optionError(() => createGcsStore({ bucket: storage } as never)).option).toBe('bucket');
    expect(optionError(() => createGcsStore(undefined as never)).option).toBe('options');
  });

  it('rejects a prefix that breaks the key rules', () => {
    for (const prefix of ['../', 'a/./b/', 'bad\u0000', '/abs/', 3 as unknown as string]) {
      const err = optionError(() => createGcsStore({ bucket, prefix }));
      expect(err.option).toBe('prefix');
      expect(err.message).toContain('prefix');
    }
  });

  it('rejects a bad name, resumableThreshold or chunkSize', () => {
    expect(optionError(() => createGcsStore({ bucket, name: ' ' })).option).toBe('name');
    for (const resumableThreshold of [-1, 1.5, Number.NaN, '10' as unknown as number]) {
      expect(optionError(() => createGcsStore({ bucket, resumableThreshold })).option).toBe(
        'resumableThreshold',
      );
    }
    for (const readIdleTimeoutMs of [-1, 0.5, Number.POSITIVE_INFINITY]) {
      expect(optionError(() => createGcsStore({ bucket, readIdleTimeoutMs })).option).toBe(
        'readIdleTimeoutMs',
      );
    }
    for (const chunkSize of [0, 1000, 256 * 1024 + 1, -256 * 1024]) {
      const err = optionError(() => createGcsStore({ bucket, chunkSize }));
      expect(err.option).toBe('chunkSize');
      expect(err.message).toContain('256 KiB');
    }
  });

  it('accepts valid settings', () => {
    expect(() =>
      createGcsStore({
        bucket,
        prefix: 'p/',
        resumableThreshold: 0,
        chunkSize: 512 * 1024,
        readIdleTimeoutMs: 0,
        metadataCacheSize: 0,
      }),
    ).not.toThrow();
  });

  it.each([
    [{}, 'Invalid option "bucket": is required (a Bucket from @google-cloud/storage'],
    [{ bucket, prefix: '/a/' }, 'Invalid option "prefix": must'],
    [
      { bucket, resumableThreshold: -1 },
      'Invalid option "resumableThreshold": must be an integer of at least 0, got -1',
    ],
    [
      { bucket, chunkSize: 1000 },
      'Invalid option "chunkSize": must be a positive multiple of 262144 bytes (256 KiB)',
    ],
    [
      { bucket, readIdleTimeoutMs: -1 },
      'Invalid option "readIdleTimeoutMs": must be an integer of at least 0 (off)',
    ],
    [
      { bucket, metadataCacheSize: -1 },
      'Invalid option "metadataCacheSize": must be an integer of at least 0 (off)',
    ],
    [
      { bucket, timeouts: { connectTimeoutMs: 1.5 } },
      'Invalid option "timeouts.connectTimeoutMs": must be an integer',
    ],
    [
      { bucket, chunksize: 262144 },
      'Invalid option "chunksize": is not a known option (known: bucket, prefix,',
    ],
  ])('words errors like every package: %o', (options, expected) => {
    expect(optionError(() => createGcsStore(options as never)).message).toContain(expected);
  });
});
