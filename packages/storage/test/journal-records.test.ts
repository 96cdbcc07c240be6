import { describe, expect, it } from 'vitest';
import { crc32, crc32Hex } from '../src/journal/crc32.js';
import { decodeLine, encodeRecord } from '../src/journal/records.js';
import type { JournalEntry } from '../src/journal/types.js';

const entry: JournalEntry = {
  id: 'a.jpg@v1',
  op: 'delete',
  key: 'dir/a.jpg',
  version: 'v1',
  holders: ['aws'],
  missing: ['gcs', 'azure'],
  at: 1_761_000_000_000,
};

/** A line as read back from the file: without its newline. */
function line(bytes: Buffer): Buffer {
  expect(bytes[bytes.length - 1]).toBe(0x0a);
  return bytes.subarray(0, bytes.length - 1);
}

describe('crc32', () => {
  it('is the standard CRC-32 (IEEE, as zlib computes it)', () => {
    expect(crc32Hex(crc32(Buffer.from('123456789')))).toBe('cbf43926');
    expect(crc32Hex(crc32(Buffer.alloc(0)))).toBe('00000000');
    expect(crc32Hex(crc32(Buffer.from('The quick brown fox jumps over the lazy dog')))).toBe('414fa339');
  });

  it('can be computed over pieces', () => {
    const bytes = Buffer.from('123456789');
    expect(crc32(bytes, crc32(bytes, 0, 0, 4), 4)).toBe(crc32(bytes));
  });
});

describe('journal records', () => {
  it('round-trips every record type through one line with a checksum', () => {
    for (const record of [
      { t: 'header', format: 1 } as const,
      { t: 'header', format: 1, newest: '001761000000000-000000-w1' } as const,
      { t: 'append', e: entry } as const,
      { t: 'append', e: { ...entry, op: 'put', sha256: 'a'.repeat(64), size: 42 } } as const,
      { t: 'resolve', id: 'a.jpg@v1', target: 'gcs' } as const,
    ]) {
      const bytes = encodeRecord(record);
      expect(bytes.indexOf(0x0a)).toBe(bytes.length - 1);
      expect(decodeLine(line(bytes))).toEqual({ record });
    }
  });

  it('writes only the entry fields, in a fixed order', () => {
    const extra = { ...entry, secret: 'not journaled' } as JournalEntry;
    const text = encodeRecord({ t: 'append', e: extra }).toString();
    expect(text).not.toContain('secret');
    expect(text.indexOf('"id"')).toBeLessThan(text.indexOf('"missing"'));
  });

  it('detects any changed byte, a missing checksum, bad JSON and unknown records', () => {
    const good = line(encodeRecord({ t: 'append', e: entry }));
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x01;
      expect('error' in decodeLine(bad), `byte ${i}`).toBe(true);
    }
    expect(decodeLine(Buffer.from('{"t":"resolve","id":"x","target":"y"}'))).toEqual({
      error: 'no checksum field',
    });
    expect(decodeLine(Buffer.from(''))).toEqual({ error: 'no checksum field' });
    expect(decodeLine(Buffer.from('\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'))).toEqual({
      error: 'no checksum field',
    });
    const unknown = line(encodeRecord({ t: 'mystery' } as unknown as Parameters<typeof encodeRecord>[0]));
    expect(decodeLine(unknown)).toEqual({ error: 'unknown record type "mystery"' });
    const invalid = line(
      encodeRecord({ t: 'append', e: { ...entry, missing: 'gcs' } as unknown as JournalEntry }),
    );
    expect((decodeLine(invalid) as { error: string }).error).toMatch(/^invalid entry .*entry\.missing/);
    const badNewest = line(
      encodeRecord({ t: 'header', format: 1, newest: 42 } as unknown as Parameters<typeof encodeRecord>[0]),
    );
    expect(decodeLine(badNewest)).toEqual({ error: 'header with an invalid newest version' });
  });
});
