import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { readStream } from '../data.js';
import { expectInfo, expectRejection } from '../expect.js';

/** Inclusive byte ranges, clamped at the end; `info` always describes the whole object. */
export function rangeCases(ctx: ContractContext): void {
  describe('ranges', () => {
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

    const cases: Array<[string, { start: number; end?: number }, Buffer]> = [
      ['start only', { start: 10 }, bytes.subarray(10)],
      ['start and end, both inclusive', { start: 10, end: 19 }, bytes.subarray(10, 20)],
      ['one byte', { start: 42, end: 42 }, bytes.subarray(42, 43)],
      ['the whole object', { start: 0, end: 99 }, bytes],
      ['end past the size (clamped)', { start: 90, end: 500 }, bytes.subarray(90)],
      ['start at the size (empty)', { start: 100 }, Buffer.alloc(0)],
      ['start past the size (empty)', { start: 150, end: 200 }, Buffer.alloc(0)],
    ];
    for (const [label, range, expected] of cases) {
      it(`reads a range: ${label}`, async () => {
        const store = ctx.store();
        const key = `${ctx.prefix('range')}hundred.bin`;
        await store.put(key, bytes);
        const { info, body } = await store.get(key, { range });
        expectInfo(info, { key, size: 100, bytes }, 'get');
        expect((await readStream(body)).equals(expected)).toBe(true);
      });
    }

    it('reads an empty body for any range of a 0-byte object', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('range-empty')}empty.bin`;
      await store.put(key, new Uint8Array(0));
      for (const range of [{ start: 0 }, { start: 0, end: 0 }, { start: 5, end: 10 }]) {
        const { info, body } = await store.get(key, { range });
        expect(info.size).toBe(0);
        expect((await readStream(body)).length).toBe(0);
      }
    });

    it('rejects invalid ranges with InvalidArgumentError', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('range-invalid')}hundred.bin`;
      await store.put(key, bytes);
      for (const range of [
        { start: -1 },
        { start: 5, end: 4 },
        { start: 1.5 },
        { start: 0, end: Number.NaN },
      ]) {
        await expectRejection(store.get(key, { range }), { name: 'InvalidArgumentError', kind: 'invalid' });
      }
    });
  });
}
