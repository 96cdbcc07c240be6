import { RestError } from '@azure/storage-blob';
import { classifyFailure } from '@failover/core';
import { describe, expect, it } from 'vitest';
import { azureErrorCode, classifyAzureError, registerAzureClassifier } from '../src/index.js';

// RestError is the SDK's own error class (re-exported by @azure/storage-blob); these build the
// shapes its pipeline produces, to pin the table. The fault tests get the same errors from a server.
const answered = (statusCode: number, code?: string) =>
  new RestError(`${code ?? 'Error'} message\nRequestId:1\nTime:now`, {
    statusCode,
    ...(code === undefined ? {} : { code }),
  });
const unanswered = (code: string) => new RestError('socket trouble', { code });

describe('classifyAzureError', () => {
  it.each([
    [answered(404, 'BlobNotFound'), 'not_found'],
    [answered(404, 'ContainerNotFound'), 'not_found'],
    [answered(409, 'BlobAlreadyExists'), 'precondition'],
    [answered(412, 'ConditionNotMet'), 'precondition'],
    [answered(412, 'LeaseIdMissing'), 'precondition'],
    [answered(503, 'ServerBusy'), 'throttled'],
    [answered(503), 'unavailable'],
    [answered(500, 'InternalError'), 'unavailable'],
    [answered(500, 'OperationTimedOut'), 'timeout'],
    [answered(502), 'unavailable'],
    [answered(504), 'timeout'],
    [answered(429), 'throttled'],
    [answered(403, 'AuthenticationFailed'), 'auth'],
    [answered(403, 'AuthorizationPermissionMismatch'), 'auth'],
    [answered(401, 'NoAuthenticationInformation'), 'auth'],
    [answered(416, 'InvalidRange'), 'invalid'],
    [answered(400, 'InvalidHeaderValue'), 'invalid'],
    [unanswered('ECONNRESET'), 'network'],
    [unanswered('ECONNREFUSED'), 'network'],
    [unanswered('ENOTFOUND'), 'network'],
    [unanswered('REQUEST_SEND_ERROR'), 'network'],
    [unanswered('ETIMEDOUT'), 'timeout'],
  ] as const)('%s -> %s', (err, kind) => {
    expect(classifyAzureError(err)).toBe(kind);
  });

  it('reads the code HEAD responses carry only in x-ms-error-code (details.errorCode)', () => {
    const err = new RestError('', { statusCode: 404 });
    err.details = { errorCode: 'ContainerNotFound' };
    expect(azureErrorCode(err)).toBe('ContainerNotFound');
    expect(classifyAzureError(err)).toBe('not_found');
  });

  it('an answer whose body then failed (a success status on the error) goes by its socket code', () => {
    const err = new RestError('read ECONNRESET', { code: 'ECONNRESET', statusCode: 200 });
    expect(classifyAzureError(err)).toBe('network');
  });

  it('leaves errors that are not RestErrors to the other classifiers', () => {
    expect(classifyAzureError(new Error('x'))).toBeUndefined();
    expect(classifyAzureError({ statusCode: 503, code: 'ServerBusy' })).toBeUndefined();
    expect(classifyAzureError(undefined)).toBeUndefined();
  });

  it('is registered with core idempotently, so classifyFailure agrees on raw SDK errors', () => {
    registerAzureClassifier();
    registerAzureClassifier();
    expect(classifyFailure(answered(503, 'ServerBusy'))).toBe('throttled');
    expect(classifyFailure(answered(500, 'OperationTimedOut'))).toBe('timeout');
  });
});
