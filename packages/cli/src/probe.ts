import type { BlobStore } from '@failover/storage';
import { type FailureInfo, failureOf } from './failure.js';

/** The key prefix the CLI's own probes and canaries use (inside the store's reserved `_failover/`). */
export const CLI_PREFIX = '_failover/cli/';

/** The result of {@link probeTarget}. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Time of the probe (ms). */
  readonly latencyMs: number;
  /** The failure, when the probe failed. */
  readonly error: FailureInfo | undefined;
}

/**
 * Asks one target directly (not through the router) for the first page of a listing under
 * {@link CLI_PREFIX}: a read that needs the network, valid credentials and an existing bucket, and
 * that changes nothing.
 */
export async function probeTarget(target: BlobStore, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    for await (const _entry of target.list({ prefix: CLI_PREFIX, pageSize: 1, signal })) break;
    return { ok: true, latencyMs: elapsed(started), error: undefined };
  } catch (err) {
    return { ok: false, latencyMs: elapsed(started), error: failureOf(err) };
  }
}

/** Milliseconds since `started` (a `performance.now()`), rounded to 0.1 ms. */
export function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
