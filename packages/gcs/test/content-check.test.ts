import { createHash, randomBytes } from 'node:crypto';
import { crc32cToBase64, crc32c as referenceCrc32c } from '@failover/testkit';
import { describe, expect, it } from 'vitest';
import { contentCheckOf, DOWNLOAD_MISMATCH } from '../src/content-check.js';
import { crc32c, crc32cBase64 } from '../src/crc32c.js';

describe('crc32c (slicing by 8)', () => {
  it('gives the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with the emulator over every length and chunking', () => {
    const data = randomBytes(4099);
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 4099]) {
      const whole = crc32c(data.subarray(0, n));
      expect(whole).toBe(referenceCrc32c(data.subarray(0, n)));
      let chunked = 0;
      for (let i = 0; i < n; i += 5) chunked = crc32c(data.subarray(i, Math.min(n, i + 5)), chunked);
      expect(chunked).toBe(whole);
      expect(crc32cBase64(whole)).toBe(crc32cToBase64(whole));
    }
  });
});

describe('contentCheckOf', () => {
  const bytes = randomBytes(3000);
  const md5Hash = createHash('md5').update(bytes).digest('base64');
  const crc = crc32cBase64(crc32c(bytes));
  const run = (check: ReturnType<typeof contentCheckOf>, data: Buffer) => {
    if (!check) throw new Error('no check');
    check.update(data.subarray(0, 1000));
    check.update(data.subarray(1000));
    return check.verify();
  };
  const flipped = Buffer.from(bytes);
  flipped[1234] = (flipped[1234] ?? 0) ^ 1;

  it('checks the MD5 when GCS keeps one', () => {
    expect(run(contentCheckOf({ md5Hash, crc32c: 'AAAAAA==' }), bytes)).toBeUndefined();
    expect(run(contentCheckOf({ md5Hash, crc32c: crc }), flipped)).toMatchObject({ code: DOWNLOAD_MISMATCH });
  });

  it('checks the CRC32C of an object without an MD5 (a composite)', () => {
    expect(run(contentCheckOf({ crc32c: crc }), bytes)).toBeUndefined();
    expect(run(contentCheckOf({ crc32c: crc }), flipped)).toMatchObject({ code: DOWNLOAD_MISMATCH });
  });

  it('has no check without a checksum, and none of its own for a gzip-stored object', () => {
    expect(contentCheckOf({})).toBeNull();
    expect(contentCheckOf({ md5Hash, contentEncoding: 'gzip' })).toBeUndefined();
    expect(contentCheckOf({ md5Hash, contentEncoding: 'identity' })).not.toBeNull();
  });
});
