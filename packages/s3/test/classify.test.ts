import { S3ServiceException } from '@aws-sdk/client-s3';
import { classifyFailure } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { classifyS3Error, registerS3Classifier } from '../src/index.js';

/** An error as the SDK builds it from an S3 error response (the SDK's own exception class). */
function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

describe('classifyS3Error', () => {
  it.each([
    ['NoSuchKey', 404, 'not_found'],
    ['NotFound', 404, 'not_found'],
    ['NoSuchBucket', 404, 'not_found'],
    ['PreconditionFailed', 412, 'precondition'],
    ['ConditionalRequestConflict', 409, 'precondition'],
    ['SlowDown', 503, 'throttled'],
    ['ServiceUnavailable', 503, 'unavailable'],
    ['InternalError', 500, 'unavailable'],
    ['InternalError', 200, 'unavailable'], // CompleteMultipartUpload's "200 with an error body"
    ['RequestTimeout', 400, 'timeout'],
    ['AccessDenied', 403, 'auth'],
    ['InvalidAccessKeyId', 403, 'auth'],
    ['SignatureDoesNotMatch', 403, 'auth'],
    ['ExpiredToken', 400, 'auth'],
    ['InvalidRange', 416, 'invalid'],
    ['InvalidArgument', 400, 'invalid'],
    ['EntityTooLarge', 400, 'invalid'],
    ['Unknown', 503, 'throttled'],
    ['Unknown', 500, 'unavailable'],
    ['Unknown', 502, 'unavailable'],
    ['Unknown', 504, 'timeout'],
    ['Unknown', 429, 'throttled'],
    ['Unknown', 403, 'auth'],
    ['Unknown', 400, 'invalid'],
  ] as const)('%s (HTTP %i) -> %s', (name, status, kind) => {
    expect(classifyS3Error(s3Error(name, status))).toBe(kind);
  });

  it('leaves errors that are not S3 answers to core', () => {
    expect(classifyS3Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      undefined,
    );
    expect(classifyS3Error(new Error('plain'))).toBeUndefined();
    expect(classifyS3Error('NoSuchKey')).toBeUndefined();
    // A bare name is not enough outside the SDK's error shape.
    expect(classifyS3Error(Object.assign(new Error('x'), { name: 'AccessDenied' }))).toBeUndefined();
  });

  it('reads a reset the SDK renamed TimeoutError as network, a real timeout as timeout', () => {
    const reset = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
    expect(classifyS3Error(reset)).toBe('network');
    const timedOut = Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(classifyS3Error(timedOut)).toBeUndefined();
    registerS3Classifier();
    expect(classifyFailure(reset)).toBe('network');
    expect(classifyFailure(timedOut)).toBe('timeout');
  });

  it('registers once with core, so classifyFailure agrees', () => {
    registerS3Classifier();
    registerS3Classifier();
    expect(classifyFailure(s3Error('SlowDown', 503))).toBe('throttled');
    expect(classifyFailure(s3Error('Unknown', 503))).toBe('throttled');
    expect(classifyFailure(s3Error('ExpiredToken', 400))).toBe('auth');
  });
});
