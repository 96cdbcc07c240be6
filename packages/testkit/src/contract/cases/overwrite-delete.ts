import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectRejection } from '../expect.js';

/** Overwrites replace bytes and etag; deletes are idempotent. */
export function overwriteDeleteCases(ctx: ContractContext): void {
  describe('overwrite and delete', () => {
    it('an overwrite replaces the bytes, the metadata and the etag', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('overwrite')}object`;
      const first = await store.put(key, 'first version', {
        metadata: { version: '1' },
        contentType: 'text/plain',
      });
      const second = await store.put(key, 'second, longer version', { metadata: { version: '2' } });
      expect(second.size).toBe(22);
      const head = await store.head(key);
      expect(head?.size).toBe(22);
      expect(head?.metadata).toEqual({ version: '2' });
      expect(head?.contentType).toBe('application/octet-stream');
      if (first.etag !== undefined && head?.etag !== undefined) expect(head.etag).not.toBe(first.etag);
      expect(head?.etag).toBeDefined();
      const { body } = await store.get(key);
      expect((await readStream(body)).toString()).toBe('second, longer version');
    });

    it('deleting twice is not an error; a deleted key is gone', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('delete')}object`;
      await store.put(key, 'to be deleted');
      await store.delete(key);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
      expect(await store.head(key)).toBeNull();
      await expectRejection(store.get(key), { name: 'NotFoundError', kind: 'not_found', key });
    });

    it('deleting a key that never existed is not an error', async () => {
      const store = ctx.store();
      await store.delete(`${ctx.prefix('delete-missing')}never-written`);
    });

    it('deleting one key leaves keys below it and beside it alone', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('delete-neighbours');
      await store.put(`${prefix}a`, '1');
      await store.put(`${prefix}a/b`, '2');
      await store.put(`${prefix}ab`, '3');
      await store.delete(`${prefix}a`);
      expect(await store.exists(`${prefix}a`)).toBe(false);
      expect(await store.exists(`${prefix}a/b`)).toBe(true);
      expect(await store.exists(`${prefix}ab`)).toBe(true);
    });
  });
}
