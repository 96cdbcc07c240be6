import { CREDENTIAL_SHAPES } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { redact } from '../src/index.js';

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
