/**
 * A message on the fleet's channel. `at` is Redis's clock when it was published (ms since the
 * epoch, with microseconds): the publishing script adds it.
 */
export type FleetMessage =
  | {
      readonly t: 'open';
      readonly target: string;
      readonly from: string;
      readonly reason?: string;
      readonly ms: number;
      readonly at?: number;
    }
  | { readonly t: 'close'; readonly target: string; readonly from: string; readonly at?: number };

/** Parses a channel message; `undefined` for anything that is not one of ours. */
export function parseFleetMessage(raw: string): FleetMessage | undefined {
  try {
    const m = JSON.parse(raw) as Record<string, unknown>;
    if (typeof m.target !== 'string' || typeof m.from !== 'string') return undefined;
    const at = typeof m.at === 'number' && Number.isFinite(m.at) ? { at: m.at } : {};
    if (m.t === 'close') return { t: 'close', target: m.target, from: m.from, ...at };
    if (m.t === 'open' && typeof m.ms === 'number') {
      return {
        t: 'open',
        target: m.target,
        from: m.from,
        ms: m.ms,
        ...(typeof m.reason === 'string' ? { reason: m.reason } : {}),
        ...at,
      };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}
