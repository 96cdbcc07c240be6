import { randomBytes } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cBase64, crc32cToBase64 } from '../src/gcs/crc32c.js';

describe('crc32c', () => {
  it('matches the check value of the Castagnoli polynomial', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches the iSCSI test vectors of RFC 3720 (B.4)', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });

  it('is 0 for no bytes and encodes big-endian base64', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32cBase64(new Uint8Array(0))).toBe('AAAAAA==');
    expect(crc32cToBase64(0xe3069283)).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
  });

  it('continues across chunks of any alignment', () => {
    const data = randomBytes(1000);
    const whole = crc32c(data);
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });

  it('agrees with the checksum of @google-cloud/storage on random data', () => {
    for (const size of [1, 3, 8, 15, 64, 4097, 100_003]) {
      const data = randomBytes(size);
      const theirs = new CRC32C();
      theirs.update(data);
      expect(crc32cBase64(data)).toBe(theirs.toString());
    }
  });
});
