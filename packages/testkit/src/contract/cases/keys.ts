import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectInfo } from '../expect.js';

/**
 * Key segments every cloud stores as they are. Not here, because a cloud or its emulator cannot
 * keep them apart: empty segments (`a//b`), a trailing `/` or `.`, backslashes, segments longer
 * than a file name (emulators store keys as paths).
 */
export const SPECIAL_KEYS: readonly string[] = [
  'with space.txt',
  'plus+sign',
  'percent%20not-decoded%2F',
  'emoji-😀-🎉.bin',
  'unicode/日本語/ключ/ñandú.txt',
  'query?x=1&y=2#frag',
  'colon:semi;at@comma,dollar$',
  'quote\'and"double',
  'tilde~star*(paren)!',
  'brackets[1]{2}<3>|pipe^',
  'deep/nested/path/to/a/file.json',
  'case/File.TXT',
  'case/file.txt',
];

/** Keys with spaces, reserved URL characters, Unicode and path structure round-trip exactly. */
export function keyCases(ctx: ContractContext): void {
  describe('keys', () => {
    it('stores, reads, lists and deletes keys with special characters', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('special-keys');
      const keys = SPECIAL_KEYS.map((k) => prefix + k);
      for (const key of keys) {
        const bytes = Buffer.from(`content of ${key}`, 'utf8');
        expectInfo(await store.put(key, bytes), { key, size: bytes.length, bytes }, 'put');
      }
      for (const key of keys) {
        const bytes = Buffer.from(`content of ${key}`, 'utf8');
        expect(await store.exists(key)).toBe(true);
        expectInfo(await store.head(key), { key, size: bytes.length, bytes }, 'head');
        const { info, body } = await store.get(key);
        expectInfo(info, { key, size: bytes.length, bytes }, 'get');
        expect((await readStream(body)).toString('utf8')).toBe(`content of ${key}`);
      }
      const listed: string[] = [];
      for await (const entry of store.list({ prefix })) if ('key' in entry) listed.push(entry.key);
      expect([...listed].sort()).toEqual([...keys].sort());
      for (const key of keys) await store.delete(key);
      for (const key of keys) expect(await store.exists(key)).toBe(false);
    });

    it('copies between keys with special characters', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('special-copy');
      const from = `${prefix}from ?#&= 😀+%`;
      const to = `${prefix}to/日本語 [x]`;
      await store.put(from, 'payload');
      const info = await store.copy(from, to);
      expectInfo(info, { key: to, size: 7 }, 'copy');
      const { body } = await store.get(to);
      expect((await readStream(body)).toString('utf8')).toBe('payload');
    });
  });
}
