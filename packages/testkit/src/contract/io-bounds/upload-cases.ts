import { Readable } from 'node:stream';
import type { BlobStore } from '@failover/storage';
import { expect, it } from 'vitest';
import { faults, type RequestMatch } from '../../fault-proxy/index.js';
import type { IoBoundsCaseContext } from './context.js';
import type { IoBoundsUploadPhases } from './types.js';

/** Short bounds, the commit's too; nothing here asserts how long anything took. */
const BOUNDS = { connectTimeoutMs: 300, responseTimeoutMs: 300, idleTimeoutMs: 300, commitTimeoutMs: 300 };
/** More than the loopback socket buffers take: a held request cannot swallow the whole body. */
const UPLOAD_BYTES = 16 * 1024 * 1024;
const PIECE = 64 * 1024;

/** A 16 MiB stream of unknown size, in 64 KiB pieces (built as it is read). */
function uploadStream(): Readable {
  const piece = Buffer.alloc(PIECE, 0x5a);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < UPLOAD_BYTES; sent += PIECE) yield piece;
    })(),
  );
}

interface Settled {
  readonly ok: boolean;
  readonly kind?: unknown;
  readonly target?: unknown;
}

async function settle(store: BlobStore, key: string): Promise<Settled> {
  return store.put(key, uploadStream()).then(
    () => ({ ok: true }),
    (error: unknown) => {
      const e = error as { kind?: unknown; target?: unknown };
      return { ok: false, kind: e.kind, target: e.target };
    },
  );
}

type Phase = keyof IoBoundsUploadPhases;

/**
 * The upload cases of the suite: every phase of a streamed upload is bounded (a request held by
 * the proxy fails the put), whatever Node version announces the request late.
 */
export function ioBoundsUploadCases(ctx: IoBoundsCaseContext, timeoutMs: number): void {
  const phase = (name: Phase): RequestMatch | undefined => ctx.upload()?.[name];

  it.for(['start', 'data', 'commit'] as const)(
    'a streamed upload whose %s request the proxy holds fails with kind timeout or network',
    { timeout: timeoutMs },
    async (name, test) => {
      const match = phase(name);
      if (match === undefined) {
        test.skip();
        return;
      }
      const s = ctx.open(BOUNDS);
      await ctx.proxy().setFault(faults.blackhole({ match }));
      const settled = await settle(s, ctx.keys().key(`held-${name}`));
      expect(settled.ok, 'expected the put to fail').toBe(false);
      expect(['timeout', 'network']).toContain(settled.kind);
      expect(settled.target).toBe(s.name);
    },
  );

  it(
    'a streamed upload whose data request the proxy holds fails with the default bounds too',
    async (test) => {
      const match = phase('data');
      if (match === undefined) {
        test.skip();
        return;
      }
      const s = ctx.open(undefined);
      await ctx.proxy().setFault(faults.blackhole({ match }));
      const settled = await settle(s, ctx.keys().key('held-default'));
      expect(settled.ok, 'expected the put to fail').toBe(false);
      expect(['timeout', 'network']).toContain(settled.kind);
    },
    timeoutMs,
  );

  it(
    'a streamed upload whose data request is answered but the answer stalls settles (kind timeout or network if it fails)',
    async (test) => {
      const match = phase('data');
      if (match === undefined) {
        test.skip();
        return;
      }
      const s = ctx.open(BOUNDS);
      await ctx.proxy().setFault(faults.stall({ match }));
      const settled = await settle(s, ctx.keys().key('stalled-data'));
      if (!settled.ok) expect(['timeout', 'network']).toContain(settled.kind);
    },
    timeoutMs,
  );
}
