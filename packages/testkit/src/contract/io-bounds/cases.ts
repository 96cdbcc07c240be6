import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobStore, readAll } from '@failover/storage';
import { expect, it } from 'vitest';
import { faults, type RequestMatch } from '../../fault-proxy/index.js';
import type { IoBoundsCaseContext } from './context.js';

/** Short bounds keep the suite quick; nothing here asserts how long anything took. */
const BOUNDS = { connectTimeoutMs: 300, responseTimeoutMs: 300, idleTimeoutMs: 300 };

interface KindedError {
  readonly name?: unknown;
  readonly kind?: unknown;
  readonly phase?: unknown;
  readonly target?: unknown;
  readonly message?: unknown;
}

async function failure(call: () => Promise<unknown>): Promise<KindedError> {
  const settled = await call().then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  expect(settled.ok, 'expected the call to fail').toBe(false);
  const error = (settled as { error: unknown }).error;
  expect(error).toBeInstanceOf(Error);
  return error as KindedError;
}

async function readFailure(store: BlobStore, key: string): Promise<KindedError> {
  return failure(async () => {
    const { body } = await store.get(key);
    await readAll(body);
  });
}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable) {
    // draining the listing
  }
}

/** The cases of the suite, registered inside its `describe`. */
export function ioBoundsCases(ctx: IoBoundsCaseContext, timeoutMs: number): void {
  const bounded = (): BlobStore => ctx.open(BOUNDS);

  it(
    'blackhole: every operation rejects with kind timeout (the response never came)',
    async () => {
      const s = bounded();
      const { big, key } = ctx.keys();
      await ctx.proxy().setFault(faults.blackhole());
      for (const call of [
        () => s.get(big),
        () => s.head(big),
        () => s.exists(big),
        () => s.put(key('small'), 'x'),
        () => s.put(key('stream'), Readable.from([ctx.body])),
        () => s.delete(key('small')),
        () => drain(s.list({ prefix: key('') })),
        () => s.copy(big, key('copy')),
      ]) {
        const error = await failure(call);
        expect({ kind: error.kind, target: error.target }).toEqual({ kind: 'timeout', target: s.name });
      }
    },
    timeoutMs,
  );

  it(
    'blackhole with the default bounds: get still settles with kind timeout',
    async () => {
      const s = ctx.open(undefined);
      await ctx.proxy().setFault(faults.blackhole());
      expect((await failure(() => s.get(ctx.keys().big))).kind).toBe('timeout');
    },
    timeoutMs,
  );

  it.each([
    ['cut (FIN) mid-body', (match: RequestMatch) => faults.cut({ afterBytes: 10_000, match })],
    ['stall mid-body', (match: RequestMatch) => faults.stall({ afterBytes: 10_000, match })],
    ['reset mid-body', (match: RequestMatch) => faults.reset({ afterBytes: 10_000, match })],
  ] as const)(
    '%s: the download fails with kind network',
    async (_label, fault) => {
      const s = bounded();
      await ctx.proxy().setFault(fault(ctx.download()));
      const error = await readFailure(s, ctx.keys().big);
      expect({ kind: error.kind, target: error.target }).toEqual({ kind: 'network', target: s.name });
    },
    timeoutMs,
  );

  it(
    'a cut or stalled download fails with kind network with the default bounds too',
    async () => {
      const s = ctx.open(undefined);
      await ctx.proxy().setFault(faults.cut({ afterBytes: 1000, match: ctx.download() }));
      expect((await readFailure(s, ctx.keys().big)).kind).toBe('network');
      await ctx.proxy().setFault(faults.stall({ afterBytes: 1000, match: ctx.download() }));
      expect((await readFailure(s, ctx.keys().big)).kind).toBe('network');
    },
    timeoutMs,
  );

  it(
    'refused connections reject with kind network',
    async () => {
      const s = bounded();
      await ctx.proxy().setFault(faults.refuse());
      expect((await failure(() => s.get(ctx.keys().big))).kind).toBe('network');
      expect((await failure(() => s.put(ctx.keys().key('refused'), ctx.body))).kind).toBe('network');
    },
    timeoutMs,
  );

  it(
    'a reader slow to read and a caller slow to send are not stalls',
    async () => {
      const s = ctx.open({ idleTimeoutMs: 200, responseTimeoutMs: 5000 });
      const { body } = await s.get(ctx.keys().big);
      await sleep(700);
      expect(Buffer.compare(await readAll(body), ctx.body)).toBe(0);
      const slow = Readable.from(
        (async function* () {
          yield ctx.body.subarray(0, 1000);
          await sleep(700);
          yield ctx.body.subarray(1000);
        })(),
      );
      expect((await s.put(ctx.keys().key('slow-source'), slow)).size).toBe(ctx.body.length);
    },
    timeoutMs,
  );

  it(
    "per-call timeouts replace the store's bounds; 0 turns a bound off (then only the signal ends a held call)",
    async () => {
      const s = ctx.open({ connectTimeoutMs: 0, responseTimeoutMs: 0, idleTimeoutMs: 0 });
      const { big } = ctx.keys();
      await ctx.proxy().setFault(faults.blackhole());
      const error = await failure(() => s.head(big, { timeouts: { responseTimeoutMs: 200 } }));
      expect({ kind: error.kind, phase: error.phase }).toEqual({ kind: 'timeout', phase: 'response' });
      const held = await failure(() => s.head(big, { signal: AbortSignal.timeout(300) }));
      expect(held.kind).toBe('aborted');
    },
    timeoutMs,
  );

  it('invalid bounds: the store refuses them at once, naming the exact option path', async () => {
    for (const [timeouts, path] of [
      [{ idleTimeoutMs: -1 }, '"timeouts.idleTimeoutMs"'],
      [{ connectTimeoutMs: 0.5 }, '"timeouts.connectTimeoutMs"'],
      [{ responseTimeoutMs: 'x' }, '"timeouts.responseTimeoutMs"'],
      [{ connectTimeout: 5 }, '"timeouts.connectTimeout"'],
      [5, '"timeouts"'],
    ] as const) {
      let thrown: KindedError | undefined;
      try {
        ctx.open(timeouts);
      } catch (error) {
        thrown = error as KindedError;
      }
      expect(thrown?.name, `timeouts: ${JSON.stringify(timeouts)}`).toBe('InvalidOptionError');
      expect(String(thrown?.message)).toContain(path);
    }
    const s = bounded();
    for (const [timeouts, path] of [
      [{ responseTimeoutMs: 1.5 }, 'timeouts.responseTimeoutMs'],
      [{ idleTimeoutMs: 'x' }, 'timeouts.idleTimeoutMs'],
      [{ nope: 1 }, 'timeouts.nope'],
    ] as const) {
      const error = await failure(() => s.head(ctx.keys().big, { timeouts: timeouts as object }));
      expect(error.name).toBe('InvalidArgumentError');
      expect(String(error.message)).toContain(path);
    }
  });
}
