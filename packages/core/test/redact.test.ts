import { inspect } from 'node:util';
import { CREDENTIAL_SHAPES } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  classifyFailure,
  failedBeforeSending,
  redact,
  redactError,
  retryAfterMs,
} from '../src/index.js';

describe('redact', () => {
  it('has at least 31 credential shapes to prove', () => {
    expect(CREDENTIAL_SHAPES.length).toBeGreaterThanOrEqual(31);
  });

  it.each(CREDENTIAL_SHAPES.map((s) => [s.name, s] as const))('removes %s', (_name, shape) => {
    const out = redact(shape.text);
    for (const secret of shape.secrets) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted');
  });

  it('removes every shape when they come all in one text', () => {
    const out = redact(CREDENTIAL_SHAPES.map((s) => s.text).join(' | '));
    for (const shape of CREDENTIAL_SHAPES) for (const s of shape.secrets) expect(out).not.toContain(s);
  });

  it('is idempotent: redacting twice gives the same text', () => {
    for (const shape of CREDENTIAL_SHAPES) {
      const once = redact(shape.text);
      expect(redact(once), shape.name).toBe(once);
    }
  });

  it('keeps the names, so a message still says what was there', () => {
    expect(redact('GET /k?X-Amz-Signature=abc&x=1')).toBe('GET /k?X-Amz-Signature=[redacted]&x=1');
    expect(redact('Authorization: Bearer abc, then')).toBe('Authorization: [redacted], then');
    expect(redact('{"refresh_token": "r", "n": 1}')).toBe('{"refresh_token": [redacted], "n": 1}');
    expect(redact('https://u:p@h.example/x')).toBe('https://[redacted]@h.example/x');
  });

  it('leaves ordinary error text alone', () => {
    const texts = [
      'S3 get of "a/b.txt" on aws failed (unavailable): SlowDown (HTTP 503): Please reduce your request rate.',
      'SignatureDoesNotMatch: The request signature we calculated does not match',
      'connect ECONNREFUSED 127.0.0.1:9000',
      'Retry limit exceeded - status: 503 - code: ECONNRESET',
      'Invalid key "x": must not be empty',
    ];
    for (const t of texts) expect(redact(t)).toBe(t);
  });
});

describe('redactError', () => {
  it('keeps what says what happened and drops request, response and config objects', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const raw = Object.assign(new Error('Forbidden: GET /o?access_token=atSECRET'), {
      name: 'ApiError',
      code: 403,
      errors: [{ reason: 'forbidden', domain: 'global', message: 'refresh_token=rtSECRET' }],
      response: {
        status: 403,
        headers: { 'retry-after': '2' },
        request: { headers: { Authorization: 'Bearer tokSECRET' } },
      },
      config: { headers: { Authorization: 'Bearer tokSECRET' } },
      cause: socket,
    });
    const copy = redactError(raw) as Error & Record<string, unknown>;
    expect(copy).toBeInstanceOf(Error);
    expect(copy.name).toBe('ApiError');
    expect(copy).toMatchObject({ code: 403, status: 403, retryAfterMs: 2000 });
    expect(copy.errors).toEqual([
      { reason: 'forbidden', domain: 'global', message: 'refresh_token=[redacted]' },
    ]);
    expect(copy.response).toBeUndefined();
    expect(copy.config).toBeUndefined();
    expect(copy.cause).toMatchObject({ code: 'ECONNREFUSED', message: socket.message });
    const all = inspect(copy, { depth: Number.POSITIVE_INFINITY, showHidden: true });
    for (const s of ['atSECRET', 'rtSECRET', 'tokSECRET']) expect(all).not.toContain(s);
    expect(classifyFailure(copy)).toBe(classifyFailure(raw));
    expect(retryAfterMs(copy)).toBe(2000);
    expect(failedBeforeSending(copy)).toBe(true);
  });

  it('keeps AWS and Azure shapes classifiable', () => {
    const s3 = Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $fault: 'client',
      $metadata: { httpStatusCode: 503, requestId: 'r1' },
      $response: { headers: { 'x-amz-request-id': 'r1' }, body: 'X-Amz-Signature=sigSECRET' },
    });
    expect(redactError(s3)).toMatchObject({
      name: 'SlowDown',
      $fault: 'client',
      $metadata: { httpStatusCode: 503 },
    });
    expect(inspect(redactError(s3), { depth: 10 })).not.toContain('sigSECRET');
    const azure = Object.assign(new Error('Server busy'), {
      name: 'RestError',
      statusCode: 503,
      code: 'ServerBusy',
      details: { errorCode: 'ServerBusy', message: 'sig=sigSECRET' },
      request: { headers: { authorization: 'SharedKey acct:skSECRET' } },
    });
    const copy = redactError(azure);
    expect(copy).toMatchObject({
      name: 'RestError',
      statusCode: 503,
      code: 'ServerBusy',
      details: { errorCode: 'ServerBusy' },
    });
    expect(inspect(copy, { depth: 10 })).not.toMatch(/sigSECRET|skSECRET/);
  });

  it('returns an error that holds nothing to remove as it is (a socket error, your own error)', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '10.0.0.1',
      port: 443,
    });
    expect(redactError(socket)).toBe(socket);
    const own = new Error('source broke', { cause: socket });
    expect(redactError(own)).toBe(own);
    const leaky = new Error('GET /o?sig=abc failed', { cause: socket });
    expect(redactError(leaky)).not.toBe(leaky);
    const withRequest = Object.assign(new Error('x'), { request: {} });
    expect(redactError(withRequest)).not.toBe(withRequest);
    const deepLeak = new Error('outer', { cause: Object.assign(new Error('inner'), { config: {} }) });
    expect((redactError(deepLeak) as Error).cause).not.toHaveProperty('config');
  });

  it('returns the library own errors, and redacts strings', () => {
    const own = new AbortedError();
    expect(redactError(own)).toBe(own);
    expect(redactError('sig=abc')).toBe('sig=[redacted]');
    expect(redactError(42)).toBe(42);
  });
});
