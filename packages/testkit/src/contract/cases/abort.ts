import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream, stallingStream } from '../data.js';
import { expectAborted } from '../expect.js';

/**
 * Aborting through an `AbortSignal`: every operation rejects with core's `AbortedError`
 * (`kind: 'aborted'`, `cause`: the signal's reason); an aborted write changes nothing; an aborted
 * read destroys the body stream with that same error.
 */
export function abortCases(ctx: ContractContext): void {
  describe('abort', () => {
    it('a put of a stream aborted midway rejects and leaves no object', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('abort-put')}object`;
      const { stream, stalled } = stallingStream(256 * 1024);
      const controller = new AbortController();
      const reason = new Error('contract: stop the upload');
      const put = store.put(key, stream, { signal: controller.signal });
      put.catch(() => {}); // observed below; avoids an unhandled rejection while waiting
      await stalled;
      await pause(50);
      controller.abort(reason);
      await expectAborted(put, reason);
      stream.destroy();
      expect(await store.exists(key)).toBe(false);
    });

    it('a put of a stream aborted midway leaves the previous object intact', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('abort-overwrite')}object`;
      await store.put(key, 'previous version', { metadata: { version: '1' } });
      const { stream, stalled } = stallingStream(256 * 1024);
      const controller = new AbortController();
      const reason = new Error('contract: stop the overwrite');
      const put = store.put(key, stream, { signal: controller.signal, metadata: { version: '2' } });
      put.catch(() => {});
      await stalled;
      await pause(50);
      controller.abort(reason);
      await expectAborted(put, reason);
      stream.destroy();
      const { info, body } = await store.get(key);
      expect((await readStream(body)).toString()).toBe('previous version');
      expect(info.metadata).toEqual({ version: '1' });
    });

    it('a get aborted while its body is read destroys the body with AbortedError', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('abort-get')}object`;
      const size = 4 * 1024 * 1024;
      await store.put(key, Buffer.alloc(size, 1));
      const controller = new AbortController();
      const reason = new Error('contract: stop the download');
      const { body } = await store.get(key, { signal: controller.signal });
      const chunks = body[Symbol.asyncIterator]();
      const first = await chunks.next();
      expect(first.done).toBe(false);
      controller.abort(reason);
      await expectAborted(async () => {
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          // keep reading: the abort must end this with an error, not with a short body
        }
      }, reason);
      expect(body.destroyed).toBe(true);
    });

    it('a body nobody reads or listens to, aborted later, is released without an unhandled error', async () => {
      // Node's own HTTP response drops an error nobody listens to; a store's body must not end
      // the process instead (a caller that dropped the body, or a store holding it a moment).
      const store = ctx.store();
      const key = `${ctx.prefix('abort-unheard')}object`;
      await store.put(key, Buffer.alloc(2 * 1024 * 1024, 2));
      const controller = new AbortController();
      const { body } = await store.get(key, { signal: controller.signal });
      const closed = new Promise<void>((resolve) => body.once('close', () => resolve()));
      controller.abort(new Error('contract: nobody reads this body'));
      await closed;
      await pause(20); // an unheard 'error' would be raised by now (the test run reports it)
      expect(body.destroyed).toBe(true);
    });

    it('an already aborted signal rejects every operation before it does anything', async () => {
      const store = ctx.store();
      const prefix = ctx.prefix('abort-before');
      await store.put(`${prefix}existing`, 'kept');
      const reason = new Error('contract: aborted before the call');
      const signal = AbortSignal.abort(reason);
      await expectAborted(store.put(`${prefix}new`, 'x', { signal }), reason);
      const { stream } = stallingStream(1024);
      await expectAborted(store.put(`${prefix}new-stream`, stream, { signal }), reason);
      stream.destroy();
      await expectAborted(store.get(`${prefix}existing`, { signal }), reason);
      await expectAborted(store.head(`${prefix}existing`, { signal }), reason);
      await expectAborted(store.exists(`${prefix}existing`, { signal }), reason);
      await expectAborted(store.delete(`${prefix}existing`, { signal }), reason);
      await expectAborted(store.copy(`${prefix}existing`, `${prefix}copy`, { signal }), reason);
      await expectAborted(async () => {
        for await (const _ of store.list({ prefix, signal })) {
          // must not yield
        }
      }, reason);
      expect(await store.exists(`${prefix}new`)).toBe(false);
      expect(await store.exists(`${prefix}new-stream`)).toBe(false);
      expect(await store.exists(`${prefix}copy`)).toBe(false);
      const { body } = await store.get(`${prefix}existing`);
      expect((await readStream(body)).toString()).toBe('kept');
    });
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
