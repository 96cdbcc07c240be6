import { setTimeout as sleep } from 'node:timers/promises';
import type { Random } from '@failover/testkit';
import type { NewOrder, Order, OrderService, Trace } from './order-service.js';

/** The operations of the order service the traffic mixes. */
export const OP_KINDS = ['place', 'read', 'receipt', 'advance', 'list', 'cancel'] as const;

/** One kind of operation. */
export type OpKind = (typeof OP_KINDS)[number];

/** Share of each operation in the traffic (when there are orders to work on). */
const MIX: readonly [OpKind, number][] = [
  ['place', 30],
  ['read', 27],
  ['receipt', 13],
  ['advance', 15],
  ['list', 5],
  ['cancel', 10],
];

/** An error the application saw: an operation of the order service threw. */
export interface AppError {
  readonly op: OpKind;
  /** When the application saw the error (the operation ended), in ms since the traffic started. */
  readonly atMs: number;
  /** When the operation started, in ms since the traffic started. */
  readonly startedMs: number;
  readonly name: string;
  /** Which call failed: the storage (multi-cloud store) or the pricing API (axios). */
  readonly source: 'storage' | 'pricing';
  /** The library's failure kind (`unavailable`, `network`...), or `stale` / `unknown`. */
  readonly kind: string;
  readonly message: string;
}

/** The end of one operation. */
export interface OpOutcome {
  readonly op: OpKind;
  readonly startedMs: number;
  readonly endedMs: number;
  readonly trace: Trace;
  /** Set when the operation failed. */
  readonly error?: AppError;
}

/** Options of {@link startTraffic}. */
export interface TrafficOptions {
  readonly service: OrderService;
  /** The seeded generator every random choice is drawn from. */
  readonly random: Random;
  /** Operations started per second. */
  readonly opsPerSecond: number;
  /** At most this many operations in flight; a tick finding that many in flight starts none. */
  readonly maxInFlight: number;
  /** Largest receipt, in bytes (large receipts are streamed). */
  readonly maxReceiptBytes: number;
  /** Called as each operation ends. */
  readonly onOutcome: (outcome: OpOutcome) => void;
}

/** The running traffic. */
export interface Traffic {
  /** Operations in flight now. */
  readonly inFlight: number;
  /** Ticks that started nothing because `maxInFlight` operations were still running. */
  readonly deferred: number;
  /** Orders the application currently knows as live (placed and not cancelled). */
  readonly liveOrders: number;
  /** Stops starting operations and waits for those in flight. */
  stop(): Promise<void>;
}

const SKUS = Array.from({ length: 40 }, (_, i) => `sku-${String(i + 1).padStart(3, '0')}`);

/**
 * Steady mixed traffic against the order service: at a fixed rate, an operation chosen by the
 * seeded generator (place, read, read receipt, advance status, list a shard, cancel). Operations on
 * one order never overlap: an order is busy while an operation works on it. An order whose write
 * failed is dropped from the working set (the application gives up on it), so every read targets
 * data whose last write was acknowledged.
 */
export function startTraffic(options: TrafficOptions): Traffic {
  const { service, random, onOutcome } = options;
  const live = new Map<string, Order>();
  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  const started = Date.now();
  let seq = 0;
  let deferred = 0;
  let stopped = false;

  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const pickIdle = (): Order | undefined => {
    const idle = [...live.values()].filter((o) => !busy.has(o.id));
    return idle.length === 0 ? undefined : idle[Math.floor(random() * idle.length)];
  };
  const choose = (): OpKind => {
    const total = MIX.reduce((s, [, w]) => s + w, 0);
    let r = random() * total;
    for (const [op, w] of MIX) {
      r -= w;
      if (r < 0) return op;
    }
    return 'place';
  };
  const newOrder = (): NewOrder => {
    seq++;
    const id = `o-${(seq % 16).toString(16)}-${String(seq).padStart(6, '0')}`;
    const draw = random();
    const max = options.maxReceiptBytes;
    const streamed = draw < 0.05;
    const receiptSize = streamed
      ? int(Math.floor(max / 3), max)
      : draw < 0.2
        ? int(Math.floor(max / 24), Math.floor(max / 6))
        : int(1024, 16 * 1024);
    return {
      id,
      customer: `c${int(1, 500)}`,
      items: Array.from({ length: int(1, 3) }, () => ({
        sku: SKUS[int(0, SKUS.length - 1)]!,
        qty: int(1, 3),
      })),
      receiptSize,
      receiptSeed: int(1, 2 ** 31 - 1),
      streamed,
    };
  };

  const run = async (op: OpKind, order: Order | undefined): Promise<void> => {
    const trace: Trace = { storage: [], api: [] };
    const startedMs = Date.now() - started;
    let error: AppError | undefined;
    try {
      if (op === 'place' || order === undefined) {
        const placed = await service.place(newOrder(), trace);
        live.set(placed.id, placed);
      } else if (op === 'read') {
        await service.read(order.id, trace);
      } else if (op === 'receipt') {
        await service.readReceipt(order.id, trace);
      } else if (op === 'advance') {
        const next = await service.advance(order, trace);
        if (next.status === 'shipped') live.delete(order.id);
        else live.set(order.id, next);
      } else if (op === 'list') {
        await service.list(int(0, 15).toString(16));
      } else {
        live.delete(order.id);
        await service.cancel(order.id);
      }
    } catch (err) {
      // The application gives up on an order it could not write: it is no longer read or changed.
      if (order !== undefined && (op === 'advance' || op === 'cancel')) live.delete(order.id);
      error = appError(
        op === 'place' || order === undefined ? 'place' : op,
        startedMs,
        Date.now() - started,
        err,
      );
    } finally {
      if (order !== undefined) busy.delete(order.id);
    }
    onOutcome({ op, startedMs, endedMs: Date.now() - started, trace, ...(error ? { error } : {}) });
  };

  const loop = (async () => {
    const interval = 1000 / options.opsPerSecond;
    let next = Date.now();
    while (!stopped) {
      if (running.size >= options.maxInFlight) {
        deferred++;
      } else {
        let op = choose();
        let order: Order | undefined;
        if (op !== 'place' && op !== 'list') {
          order = pickIdle();
          if (order === undefined) op = 'place';
          else busy.add(order.id);
        }
        const p = run(op, order);
        running.add(p);
        void p.finally(() => running.delete(p));
      }
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
  })();

  return {
    get inFlight() {
      return running.size;
    },
    get deferred() {
      return deferred;
    },
    get liveOrders() {
      return live.size;
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.allSettled([...running]);
    },
  };
}

function appError(op: OpKind, startedMs: number, atMs: number, err: unknown): AppError {
  const e = (err ?? {}) as {
    name?: unknown;
    kind?: unknown;
    message?: unknown;
    isAxiosError?: unknown;
    cause?: unknown;
  };
  // axios errors carry the library's verdict in their cause (AllTargetsFailedError, DeadlineExceededError).
  const cause = (e.cause ?? {}) as { kind?: unknown };
  const kind = typeof e.kind === 'string' ? e.kind : typeof cause.kind === 'string' ? cause.kind : 'unknown';
  return {
    op,
    atMs,
    startedMs,
    name: typeof e.name === 'string' ? e.name : 'Error',
    source: e.isAxiosError === true ? 'pricing' : 'storage',
    kind,
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}
