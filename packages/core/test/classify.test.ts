import { describe, expect, it } from 'vitest';
import {
  AllTargetsFailedError,
  classifyFailure,
  failedBeforeSending,
  failedWithoutAnswer,
  isAvailabilityKind,
  parseRetryAfter,
  redact,
  registerClassifier,
  retryAfterMs,
  TLS_CERTIFICATE_CODES,
} from '../src/index.js';

function sysErr(code: string): NodeJS.ErrnoException {
  const e = new Error(`connect ${code} 127.0.0.1:1`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

describe('classifyFailure', () => {
  it.each([
    ['ECONNREFUSED', 'network'],
    ['ECONNRESET', 'network'],
    ['ENOTFOUND', 'network'],
    ['EAI_AGAIN', 'network'],
    ['EPIPE', 'network'],
    ['UND_ERR_SOCKET', 'network'],
    ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['ECONNABORTED', 'timeout'],
  ])('Node/undici code %s is %s', (code, kind) => {
    expect(classifyFailure(sysErr(code))).toBe(kind);
  });

  it('a socket code wins over an SDK-given name (AWS renames ECONNRESET to TimeoutError)', () => {
    const err = Object.assign(sysErr('ECONNRESET'), { name: 'TimeoutError' });
    expect(classifyFailure(err)).toBe('network');
  });

  it('follows fetch failed -> cause chains', () => {
    const err = new TypeError('fetch failed', { cause: sysErr('ECONNREFUSED') });
    expect(classifyFailure(err)).toBe('network');
  });

  it.each([
    [{ status: 429 }, 'throttled'],
    [{ statusCode: 503 }, 'unavailable'],
    [{ response: { status: 502 } }, 'unavailable'],
    [{ $metadata: { httpStatusCode: 500 } }, 'unavailable'],
    [{ code: 504 }, 'timeout'],
    [{ status: 404 }, 'not_found'],
    [{ status: 412 }, 'precondition'],
    [{ status: 403 }, 'auth'],
    [{ status: 400 }, 'invalid'],
    [{ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }, 'throttled'],
  ])('HTTP error shape %o is %s', (shape, kind) => {
    expect(classifyFailure(Object.assign(new Error('http'), shape))).toBe(kind);
  });

  it('real socket errors from Node are network failures', async () => {
    const net = await import('node:net');
    const err = await new Promise<Error>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: 1 });
      s.on('error', resolve);
    });
    expect(classifyFailure(err)).toBe('network');
    expect(failedBeforeSending(err)).toBe(true);
  });

  it('abort is aborted, abort with a TimeoutError reason is timeout', () => {
    const ac = new AbortController();
    ac.abort();
    expect(classifyFailure(ac.signal.reason)).toBe('aborted');
    expect(classifyFailure(AbortSignal.timeout(0).reason ?? new DOMException('t', 'TimeoutError'))).toBe(
      'timeout',
    );
  });

  it('unknown errors are unknown; a registered classifier is consulted first', () => {
    const weird = new Error('weird');
    expect(classifyFailure(weird)).toBe('unknown');
    const off = registerClassifier((e) => (e === weird ? 'throttled' : undefined));
    expect(classifyFailure(weird)).toBe('throttled');
    off();
    expect(classifyFailure(weird)).toBe('unknown');
  });

  it('only availability kinds are availability kinds', () => {
    expect(
      ['unavailable', 'timeout', 'network', 'throttled'].every((k) => isAvailabilityKind(k as never)),
    ).toBe(true);
    expect(
      ['not_found', 'precondition', 'auth', 'invalid', 'aborted', 'unknown'].some((k) =>
        isAvailabilityKind(k as never),
      ),
    ).toBe(false);
  });
});

describe('failedBeforeSending', () => {
  it('is false for a reset or a 503: the request may have reached the server', () => {
    expect(failedBeforeSending(sysErr('ECONNRESET'))).toBe(false);
    expect(failedBeforeSending({ status: 503 })).toBe(false);
    expect(failedBeforeSending(sysErr('ENOTFOUND'))).toBe(true);
  });

  it.each([
    ['ECONNREFUSED', 'network'],
    ['EAI_AGAIN', 'network'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ERR_TLS_HANDSHAKE_TIMEOUT', 'timeout'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'network'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'network'],
  ] as const)('%s proves the request never left (an availability kind: %s)', (code, kind) => {
    expect(failedBeforeSending(sysErr(code))).toBe(true);
    expect(classifyFailure(sysErr(code))).toBe(kind);
  });

  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  ])('a refused certificate (%s) fails over like a refused connection: network, never sent', (code) => {
    expect(TLS_CERTIFICATE_CODES).toContain(code);
    expect(failedBeforeSending(sysErr(code))).toBe(true);
    expect(classifyFailure(sysErr(code))).toBe('network');
    // Wrapped by a client (axios, the SDKs) with the socket error as the cause.
    expect(classifyFailure(new Error('request failed', { cause: sysErr(code) }))).toBe('network');
  });

  it('neverSent: true on any error in the chain counts', () => {
    const connectTimeout = Object.assign(new Error('no connection within 1000 ms'), {
      code: 'ETIMEDOUT',
      neverSent: true,
    });
    expect(failedBeforeSending(new Error('wrapped', { cause: connectTimeout }))).toBe(true);
    expect(failedBeforeSending(sysErr('ETIMEDOUT'))).toBe(false);
  });
});

describe('failedWithoutAnswer', () => {
  const status = (code: number) => Object.assign(new Error(`HTTP ${code}`), { statusCode: code });
  it.each([
    ['a reset', sysErr('ECONNRESET'), true],
    ['a broken pipe', sysErr('EPIPE'), true],
    ['an aborted connection', sysErr('ECONNABORTED'), true],
    ["undici's closed socket", sysErr('UND_ERR_SOCKET'), true],
    ['a reset wrapped by a client', new Error('request failed', { cause: sysErr('ECONNRESET') }), true],
    ['a refused connection (never sent: not this)', sysErr('ECONNREFUSED'), false],
    ['a timeout', sysErr('ETIMEDOUT'), false],
    ['an answer: 503', status(503), false],
    [
      'a reset under an answer (a body cut after its status)',
      Object.assign(status(200), { cause: sysErr('ECONNRESET') }),
      false,
    ],
    ['a reset wrapping an answer', Object.assign(sysErr('ECONNRESET'), { cause: status(502) }), false],
    ['nothing', undefined, false],
    ['a string', 'ECONNRESET', false],
  ])('%s: %s', (_label, err, expected) => {
    expect(failedWithoutAnswer(err)).toBe(expected);
  });
});

describe('retry-after hints', () => {
  it('parses seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2025-10-20T07:00:00Z');
    expect(parseRetryAfter('Mon, 20 Oct 2025 07:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('reads axios, AWS and header-getter shapes', () => {
    expect(retryAfterMs({ response: { status: 429, headers: { 'retry-after': '2' } } })).toBe(2000);
    expect(retryAfterMs({ $response: { headers: { 'Retry-After': '1' } } })).toBe(1000);
    expect(retryAfterMs({ response: { headers: new Map([['retry-after', '4']]) } })).toBe(4000);
    expect(retryAfterMs(new Error('x', { cause: { retryAfterMs: 7 } }))).toBe(7);
  });
});

describe('errors', () => {
  it('AllTargetsFailedError lists each target, keeps the last kind and cause, and redacts secrets', () => {
    const last = Object.assign(new Error('GET https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123 failed'), {
      status: 503,
    });
    const err = new AllTargetsFailedError([
      { target: 'aws', kind: 'network', cause: sysErr('ENOTFOUND'), attempts: 1 },
      { target: 'gcp', kind: 'unavailable', cause: last, attempts: 2 },
    ]);
    expect(err.kind).toBe('unavailable');
    expect(err.cause).toBe(last);
    expect(err.failures.map((f) => f.target)).toEqual(['aws', 'gcp']);
    expect(err.message).toContain('aws: network');
    expect(err.message).not.toContain('abc123');
  });

  it('redact removes signatures, SAS tokens, account keys and auth headers', () => {
    const text =
      'https://a.blob.core.windows.net/c/b?sv=2021&sig=SECRET1 AccountKey=SECRET2; Authorization: AWS4-HMAC-SHA256 SECRET3 http://u:SECRET4@h/ https://storage.googleapis.com/upload/storage/v1/b/x/o?uploadType=resumable&upload_id=SECRET5';
    const out = redact(text);
    for (const s of ['SECRET1', 'SECRET2', 'SECRET3', 'SECRET4', 'SECRET5']) expect(out).not.toContain(s);
  });
});
