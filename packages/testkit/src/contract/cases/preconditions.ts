import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectRejection } from '../expect.js';

/** `ifNoneMatch: '*'`: create-only writes and copies. */
export function preconditionCases(ctx: ContractContext): void {
  describe('ifNoneMatch', () => {
    it("put with ifNoneMatch '*' creates once, then rejects with PreconditionFailedError", async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-none-match')}lock`;
      const first = await store.put(key, 'original', { ifNoneMatch: '*', metadata: { owner: 'first' } });
      expect(first.size).toBe(8);
      await expectRejection(store.put(key, 'intruder', { ifNoneMatch: '*', metadata: { owner: 'second' } }), {
        name: 'PreconditionFailedError',
        kind: 'precondition',
        key,
      });
      const { info, body } = await store.get(key);
      expect((await readStream(body)).toString()).toBe('original');
      expect(info.metadata).toEqual({ owner: 'first' });
      if (first.etag !== undefined) expect(info.etag).toBe(first.etag);
    });

    it("put with ifNoneMatch '*' of a stream onto an existing object changes nothing", async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-none-match-stream')}lock`;
      await store.put(key, 'original');
      async function* body(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('intruder ');
        yield Buffer.from('stream');
      }
      await expectRejection(store.put(key, body(), { ifNoneMatch: '*' }), {
        name: 'PreconditionFailedError',
        kind: 'precondition',
        key,
      });
      const { body: stored } = await store.get(key);
      expect((await readStream(stored)).toString()).toBe('original');
    });

    it("put with ifNoneMatch '*' works again once the object was deleted", async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('if-none-match-deleted')}lock`;
      await store.put(key, 'first', { ifNoneMatch: '*' });
      await store.delete(key);
      await store.put(key, 'second', { ifNoneMatch: '*' });
      const { body } = await store.get(key);
      expect((await readStream(body)).toString()).toBe('second');
    });

    it("copy with ifNoneMatch '*' creates a new target but never replaces one", async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('if-none-match-copy');
      await store.put(`${prefix}source`, 'source bytes');
      await store.put(`${prefix}existing`, 'existing bytes');
      await expectRejection(store.copy(`${prefix}source`, `${prefix}existing`, { ifNoneMatch: '*' }), {
        name: 'PreconditionFailedError',
        kind: 'precondition',
        key: `${prefix}existing`,
      });
      const kept = await store.get(`${prefix}existing`);
      expect((await readStream(kept.body)).toString()).toBe('existing bytes');
      const info = await store.copy(`${prefix}source`, `${prefix}fresh`, { ifNoneMatch: '*' });
      expect(info.key).toBe(`${prefix}fresh`);
      const fresh = await store.get(`${prefix}fresh`);
      expect((await readStream(fresh.body)).toString()).toBe('source bytes');
    });
  });
}
