import type { FaultProxyCounts, FaultType } from './types.js';

/** Every fault type, in the order counters are listed. */
export const FAULT_TYPES: readonly FaultType[] = [
  'pass',
  'status',
  'latency',
  'reset',
  'cut',
  'corrupt',
  'stall',
  'blackhole',
  'refuse',
  'dns',
];

/** The proxy's own, writable view of {@link FaultProxyCounts}. */
export interface MutableCounts extends FaultProxyCounts {
  total: number;
  connections: number;
  forwarded: number;
  byFault: Record<FaultType, number>;
  byStatus: Record<number, number>;
}

/** Counters at zero. */
export function emptyCounts(): MutableCounts {
  return {
    total: 0,
    connections: 0,
    forwarded: 0,
    byFault: Object.fromEntries(FAULT_TYPES.map((t) => [t, 0])) as Record<FaultType, number>,
    byStatus: {},
  };
}

/** Zeroes `counts` in place, so references held by tests stay live. */
export function zeroCounts(counts: MutableCounts): void {
  counts.total = 0;
  counts.connections = 0;
  counts.forwarded = 0;
  for (const type of FAULT_TYPES) counts.byFault[type] = 0;
  for (const status of Object.keys(counts.byStatus)) delete counts.byStatus[Number(status)];
}

/** Adds one response with `status` to `counts.byStatus`. */
export function countStatus(counts: MutableCounts, status: number): void {
  counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
}
