import { classifyFailure, type FailureKind, registerClassifier } from '@failover/core';
import { classifyGcsError, createGcsStore } from '@failover/gcs';
import { ApiError, Storage } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';

// Error shapes built with the SDK's own error class and messages, for the cases the fault proxy
// cannot produce on demand; faults.test.ts and integrity.test.ts cover the same mapping end to end.

/** An ApiError as the client builds it from an HTTP answer: the inner errors come from the JSON body. */
function apiError(code: number, reason?: string): ApiError {
  const errors = reason ? [{ domain: 'global', reason, message: reason }] : [];
  const body = JSON.stringify({ error: { code, message: `HTTP ${code}`, errors } });
  return new ApiError({
    code,
    message: `HTTP ${code}`,
    errors: [],
    response: { statusCode: code, body } as never,
  });
}

function retryError(message: string): Error {
  return new Error(message);
}

describe('classifyGcsError', () => {
  it.each<[string, unknown, FailureKind]>([
    ['404 notFound', apiError(404, 'notFound'), 'not_found'],
    ['412 conditionNotMet', apiError(412, 'conditionNotMet'), 'precondition'],
    ['429 rateLimitExceeded', apiError(429, 'rateLimitExceeded'), 'throttled'],
    ['403 userRateLimitExceeded (reason wins)', apiError(403, 'userRateLimitExceeded'), 'throttled'],
    ['503 backendError', apiError(503, 'backendError'), 'unavailable'],
    ['500 without reason', apiError(500), 'unavailable'],
    ['504', apiError(504), 'timeout'],
    ['403 forbidden', apiError(403, 'forbidden'), 'auth'],
    ['401', apiError(401, 'required'), 'auth'],
    ['400 invalid', apiError(400, 'invalid'), 'invalid'],
    [
      'upload error with the response body in errors',
      Object.assign(new Error('Upload failed'), {
        code: 503,
        errors: [{ error: { code: 503, errors: [{ reason: 'backendError' }] } }],
      }),
      'unavailable',
    ],
    [
      'plain JSON API error object',
      { code: 412, message: 'x', errors: [{ reason: 'conditionNotMet' }] },
      'precondition',
    ],
    [
      'gaxios-style error with status and response data',
      Object.assign(new Error('Request failed with status code 429'), {
        status: 429,
        response: { status: 429, data: { error: { code: 429, errors: [{ reason: 'rateLimitExceeded' }] } } },
      }),
      'throttled',
    ],
    [
      'resumable retries exhausted on a status',
      retryError('Retry limit exceeded - status: 503 - x'),
      'unavailable',
    ],
    ['resumable retries exhausted on 429', retryError('Retry limit exceeded - status: 429'), 'throttled'],
    [
      'resumable retries exhausted on a reset',
      retryError(
        'Retry limit exceeded - request to http://h/u failed, reason: socket hang up - code: ECONNRESET',
      ),
      'network',
    ],
    [
      'resumable time limit on a timeout',
      retryError('Retry total time limit exceeded - code: ETIMEDOUT'),
      'timeout',
    ],
    [
      'resumable retries exhausted, nothing more known',
      retryError('Retry limit exceeded - Unknown Error'),
      'unavailable',
    ],
    [
      'upload checksum mismatch',
      Object.assign(new Error('mismatch'), { code: 'FILE_NO_UPLOAD' }),
      'unavailable',
    ],
    [
      'download checksum mismatch',
      Object.assign(new Error('mismatch'), { code: 'CONTENT_DOWNLOAD_MISMATCH' }),
      'unavailable',
    ],
  ])('%s', (_label, err, kind) => {
    expect(classifyGcsError(err)).toBe(kind);
  });

  it('leaves what is not a GCS error shape to the built-in rules', () => {
    expect(classifyGcsError(new Error('boom'))).toBeUndefined();
    expect(classifyGcsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(classifyGcsError(null)).toBeUndefined();
    expect(classifyGcsError('503')).toBeUndefined();
    expect(classifyFailure(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe('network');
  });

  it('an answer whose body then failed (a success status on the error) goes by its code: network, not unknown', () => {
    // Seen in the fleet soak: node-fetch's FetchError for a body cut after a 200's headers, with
    // the answer attached; a multi-cloud put then took the cloud's failure for an answer.
    const err = Object.assign(
      new Error(
        'Invalid response body while trying to fetch http://gcs/upload/storage/v1/b/b/o: read ECONNRESET',
      ),
      {
        name: 'FetchError',
        type: 'system',
        code: 'ECONNRESET',
        errno: 'ECONNRESET',
        response: { status: 200 },
      },
    );
    expect(classifyGcsError(err)).toBeUndefined();
    expect(classifyFailure(err)).toBe('network');
    expect(classifyGcsError(Object.assign(new Error('not modified'), { code: 304 }))).toBe('precondition');
  });

  it('is registered with core once, however many stores are created', () => {
    const bucket = new Storage({ apiEndpoint: 'http://127.0.0.1:9', projectId: 'test' }).bucket('b');
    createGcsStore({ bucket });
    createGcsStore({ bucket });
    const exhausted = retryError('Retry limit exceeded - status: 429');
    expect(classifyFailure(exhausted)).toBe('throttled');
    // Registering again is a no-op; the returned function removes the single registration.
    registerClassifier(classifyGcsError)();
    expect(classifyFailure(exhausted)).toBe('unknown');
    createGcsStore({ bucket });
    expect(classifyFailure(exhausted)).toBe('throttled');
  });
});
