import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectInfo, expectRejection } from '../expect.js';

/** Copies carry bytes, content type and metadata; a missing source is NotFoundError. */
export function copyCases(ctx: ContractContext): void {
  describe('copy', () => {
    it('copies bytes, content type and metadata, leaving the source as it was', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('copy');
      const from = `${prefix}source.json`;
      const to = `${prefix}nested/target.json`;
      const bytes = Buffer.from('{"hello":"world"}');
      const metadata = { origin: 'contract', tag: 'a b c' };
      await store.put(from, bytes, { contentType: 'application/json', metadata });
      const info = await store.copy(from, to);
      expectInfo(
        info,
        { key: to, size: bytes.length, bytes, contentType: 'application/json', metadata },
        'copy',
      );
      const expected = { key: to, size: bytes.length, bytes, contentType: 'application/json', metadata };
      expectInfo(await store.head(to), expected, 'head');
      const got = await store.get(to);
      expectInfo(got.info, expected, 'get');
      expect((await readStream(got.body)).equals(bytes)).toBe(true);
      const source = await store.get(from);
      expectInfo(source.info, { ...expected, key: from }, 'get');
      expect((await readStream(source.body)).equals(bytes)).toBe(true);
    });

    it('a missing source rejects with NotFoundError and creates nothing', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('copy-missing');
      const from = `${prefix}missing`;
      await expectRejection(store.copy(from, `${prefix}target`), {
        name: 'NotFoundError',
        kind: 'not_found',
        key: from,
      });
      expect(await store.exists(`${prefix}target`)).toBe(false);
    });

    it('copying onto an existing object replaces it', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('copy-overwrite');
      await store.put(`${prefix}source`, 'new bytes', { metadata: { from: 'source' } });
      await store.put(`${prefix}target`, 'old bytes that are longer', { metadata: { from: 'target' } });
      const info = await store.copy(`${prefix}source`, `${prefix}target`);
      expect(info.size).toBe(9);
      const { info: head, body } = await store.get(`${prefix}target`);
      expect(head.metadata).toEqual({ from: 'source' });
      expect((await readStream(body)).toString()).toBe('new bytes');
    });

    it(
      'copies a large object byte for byte',
      async () => {
        const store = ctx.store();
        const prefix = ctx.prefix('copy-large');
        const bytes = Buffer.alloc(Math.min(ctx.options.bufferBytes, 5 * 1024 * 1024), 7);
        for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
        await store.put(`${prefix}source`, bytes);
        await store.copy(`${prefix}source`, `${prefix}target`);
        const { body } = await store.get(`${prefix}target`);
        expect((await readStream(body)).equals(bytes)).toBe(true);
      },
      ctx.options.timeoutMs,
    );
  });
}
