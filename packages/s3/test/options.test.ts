import { S3Client } from '@aws-sdk/client-s3';
import { InvalidOptionError } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { createS3Store, type S3StoreOptions } from '../src/index.js';

// A client that is never used to send anything: construction only.
const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

function optionError(options: unknown): InvalidOptionError {
  try {
    createS3Store(options as S3StoreOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('createS3Store options', () => {
  it.each([
    ['no options', undefined, 'options'],
    ['no client', { bucket: 'b' }, 'client'],
    ['a client without send', { client: { config: {} }, bucket: 'b' }, 'client'],
    ['no bucket', { client }, 'bucket'],
    ['an empty bucket', { client, bucket: '' }, 'bucket'],
    ['a bucket with a space', { client, bucket: 'my bucket' }, 'bucket'],
    ['a prefix that is not a string', { client, bucket: 'b', prefix: 3 }, 'prefix'],
    ['a prefix with a leading slash', { client, bucket: 'b', prefix: '/app/' }, 'prefix'],
    ['a prefix with ..', { client, bucket: 'b', prefix: 'app/../x/' }, 'prefix'],
    ['a prefix with //', { client, bucket: 'b', prefix: 'app//x/' }, 'prefix'],
    ['a prefix with a control character', { client, bucket: 'b', prefix: 'app\n/' }, 'prefix'],
    ['a prefix of 1024 bytes', { client, bucket: 'b', prefix: 'p'.repeat(1024) }, 'prefix'],
    ['an empty name', { client, bucket: 'b', name: '' }, 'name'],
    ['partSize under 5 MiB', { client, bucket: 'b', partSize: 5 * 1024 * 1024 - 1 }, 'partSize'],
    ['partSize over 5 GiB', { client, bucket: 'b', partSize: 5 * 1024 ** 3 + 1 }, 'partSize'],
    ['a fractional partSize', { client, bucket: 'b', partSize: 5 * 1024 * 1024 + 0.5 }, 'partSize'],
    ['a negative multipartThreshold', { client, bucket: 'b', multipartThreshold: -1 }, 'multipartThreshold'],
    [
      'a multipartThreshold over 5 GiB',
      { client, bucket: 'b', multipartThreshold: 5 * 1024 ** 3 + 1 },
      'multipartThreshold',
    ],
    ['queueSize 0', { client, bucket: 'b', queueSize: 0 }, 'queueSize'],
    ['queueSize 33', { client, bucket: 'b', queueSize: 33 }, 'queueSize'],
    [
      'an unknown conditionalWrites',
      { client, bucket: 'b', conditionalWrites: 'check' },
      'conditionalWrites',
    ],
  ])('rejects %s, naming the option', (_label, options, option) => {
    const err = optionError(options);
    expect(err.option).toBe(option);
    expect(err.message).toContain(option);
  });

  it('accepts the minimum and applies defaults', () => {
    const store = createS3Store({ client, bucket: 'b' });
    expect(store.name).toBe('s3:b');
    expect(createS3Store({ client, bucket: 'b', prefix: 'app/' }).name).toBe('s3:b/app/');
    expect(createS3Store({ client, bucket: 'b', name: 'aws-east' }).name).toBe('aws-east');
    expect(() =>
      createS3Store({ client, bucket: 'b', prefix: 'a-b', partSize: 5 * 1024 * 1024, queueSize: 1 }),
    ).not.toThrow();
  });

  it.each([
    [{ bucket: 'b' }, 'Invalid option "client": is required (an S3Client from @aws-sdk/client-s3)'],
    [{ client, bucket: 'my bucket' }, 'Invalid option "bucket": must be a bucket name (or access point ARN)'],
    [
      { client, bucket: 'b', partSize: 1 },
      `Invalid option "partSize": must be an integer from 5242880 (5 MiB, S3's smallest part) to 5368709120 (5 GiB), got 1`,
    ],
    [
      { client, bucket: 'b', multipartThreshold: 6 * 1024 ** 3 },
      `Invalid option "multipartThreshold": must be an integer from 0 to 5368709120 (5 GiB, S3's largest PutObject), got 6442450944`,
    ],
    [
      { client, bucket: 'b', queueSize: 33 },
      'Invalid option "queueSize": must be an integer from 1 to 32, got 33',
    ],
    [
      { client, bucket: 'b', conditionalWrites: 'check' },
      `Invalid option "conditionalWrites": must be one of 'native', 'emulated', got "check"`,
    ],
    [
      { client, bucket: 'b', timeouts: { idleTimeoutMs: -1 } },
      'Invalid option "timeouts.idleTimeoutMs": must be an integer from 0 (off) to 2147483647, got -1',
    ],
    [
      { client, bucket: 'b', timeouts: { idleMs: 5 } },
      'Invalid option "timeouts.idleMs": is not a known option (known: connectTimeoutMs, responseTimeoutMs,',
    ],
    [{ client, bucket: 'b', timeouts: 5 }, 'Invalid option "timeouts": must be an object, got 5'],
    [
      { client, bucket: 'b', region: 'x' },
      'Invalid option "region": is not a known option (known: client, bucket,',
    ],
  ])('words errors like every package: %o', (options, expected) => {
    expect(optionError(options).message).toContain(expected);
  });
});
