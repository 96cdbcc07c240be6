import { randomBytes } from 'node:crypto';
import type { BlobBody } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import type { ContractContext } from '../context.js';
import { digestStream, GeneratedBody, MiB, readStream, sha256 } from '../data.js';
import { expectInfo } from '../expect.js';

/** Bytes in, the same bytes out, whatever the body's shape and size. */
export function roundTripCases(ctx: ContractContext): void {
  const { timeoutMs, bufferBytes, largeObjectBytes } = ctx.options;

  describe('round-trip', () => {
    const sizes: Array<[string, number]> = [
      ['0 bytes', 0],
      ['1 byte', 1],
      [`${formatSize(bufferBytes)} as a Uint8Array`, bufferBytes],
    ];
    for (const [label, size] of sizes) {
      it(
        `stores and returns ${label} byte for byte`,
        async () => {
          const store = ctx.store();
          const key = `${ctx.prefix('bytes')}object.bin`;
          const bytes = new Uint8Array(randomBytes(size)); // a plain Uint8Array, not a Buffer
          const put = await store.put(key, bytes);
          expectInfo(put, { key, size, bytes }, 'put');
          expectInfo(await store.head(key), { key, size, bytes }, 'head');
          const { info, body } = await store.get(key);
          expectInfo(info, { key, size, bytes }, 'get');
          const back = await readStream(body);
          expect(back.length).toBe(size);
          expect(sha256(back)).toBe(sha256(bytes));
        },
        timeoutMs,
      );
    }

    it('stores a string body as UTF-8', async () => {
      const store = ctx.store();
      const key = `${ctx.prefix('string')}text.txt`;
      const text = 'héllo wörld, 日本語, emoji 😀 and a NUL-free line\n';
      const bytes = Buffer.from(text, 'utf8');
      const put = await store.put(key, text);
      expectInfo(put, { key, size: bytes.length, bytes }, 'put');
      const { info, body } = await store.get(key);
      expectInfo(info, { key, size: bytes.length, bytes }, 'get');
      expect((await readStream(body)).equals(bytes)).toBe(true);
    });

    const streams: Array<[string, (g: GeneratedBody) => BlobBody, boolean]> = [
      ['a Node Readable (with a size hint)', (g) => g.toReadable(), true],
      ['a web ReadableStream', (g) => g.toWebStream(), false],
      ['an async iterable', (g) => g.toAsyncIterable(), false],
    ];
    for (const [label, toBody, withSize] of streams) {
      it(
        `stores ${formatSize(largeObjectBytes)} given as ${label} byte for byte`,
        async () => {
          const store = ctx.store();
          const key = `${ctx.prefix('stream')}large.bin`;
          const generated = new GeneratedBody(largeObjectBytes);
          const put = await store.put(key, toBody(generated), withSize ? { size: generated.size } : {});
          expectInfo(put, { key, size: generated.size }, 'put');
          expectInfo(await store.head(key), { key, size: generated.size }, 'head');
          const { info, body } = await store.get(key);
          expectInfo(info, { key, size: generated.size }, 'get');
          const digest = await digestStream(body);
          expect(digest.size).toBe(generated.size);
          expect(digest.sha256).toBe(generated.sha256);
        },
        timeoutMs,
      );
    }
  });
}

function formatSize(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
