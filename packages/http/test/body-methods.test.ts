import { Readable } from 'node:stream';
import { AxiosHeaders } from 'axios';
import { describe, expect, it } from 'vitest';
import { isReplayableBody } from '../src/body.js';
import { isIdempotentRequest } from '../src/methods.js';
import { isFailoverStatus } from '../src/status.js';

describe('isReplayableBody', () => {
  it('strings, bytes, blobs, forms and nothing are replayable', () => {
    const form = new FormData();
    form.append('a', '1');
    for (const body of [
      undefined,
      null,
      '',
      'text',
      Buffer.from('x'),
      new Uint8Array(2),
      new ArrayBuffer(2),
    ]) {
      expect(isReplayableBody(body)).toBe(true);
    }
    expect(isReplayableBody(new Blob(['x']))).toBe(true);
    expect(isReplayableBody(new URLSearchParams('a=1'))).toBe(true);
    expect(isReplayableBody(form)).toBe(true);
  });

  it('Node streams, web streams and async iterables are not', () => {
    expect(isReplayableBody(Readable.from(['x']))).toBe(false);
    expect(isReplayableBody(new ReadableStream())).toBe(false);
    expect(isReplayableBody({ pipe() {}, on() {} })).toBe(false);
    expect(isReplayableBody((async function* () {})())).toBe(false);
  });
});

describe('isIdempotentRequest', () => {
  const none = new AxiosHeaders();
  it('follows the method, then the Idempotency-Key header, then the explicit option', () => {
    for (const m of ['get', 'HEAD', 'options', 'put', 'delete', 'trace', 'query']) {
      expect(isIdempotentRequest(m, none, undefined)).toBe(true);
    }
    expect(isIdempotentRequest('post', none, undefined)).toBe(false);
    expect(isIdempotentRequest('patch', none, undefined)).toBe(false);
    expect(isIdempotentRequest('post', new AxiosHeaders({ 'idempotency-key': 'k' }), undefined)).toBe(true);
    expect(isIdempotentRequest('post', new AxiosHeaders({ 'Idempotency-Key': '  ' }), undefined)).toBe(false);
    expect(isIdempotentRequest('post', none, true)).toBe(true);
    expect(isIdempotentRequest('get', none, false)).toBe(false);
    expect(isIdempotentRequest(undefined, none, undefined)).toBe(true);
  });
});

describe('isFailoverStatus', () => {
  it('429, 502, 503, 504 always; 500 when configured; nothing else', () => {
    for (const s of [429, 502, 503, 504]) expect(isFailoverStatus(s, false)).toBe(true);
    expect(isFailoverStatus(500, true)).toBe(true);
    expect(isFailoverStatus(500, false)).toBe(false);
    for (const s of [200, 204, 301, 304, 400, 401, 403, 404, 408, 409, 412, 422, 501, 505]) {
      expect(isFailoverStatus(s, true)).toBe(false);
    }
  });
});
