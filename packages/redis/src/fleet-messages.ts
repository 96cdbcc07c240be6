/** A message on the fleet's channel. */
export type FleetMessage =
  | {
      readonly t: 'open';
      readonly target: string;
      readonly from: string;
      readonly reason?: string;
      readonly ms: number;
    }
  | { readonly t: 'close'; readonly target: string; readonly from: string };

/** Parses a channel message; `undefined` for anything that is not one of ours. */
export function parseFleetMessage(raw: string): FleetMessage | undefined {
  try {
    const m = JSON.parse(raw) as Record<string, unknown>;
    if (typeof m.target !== 'string' || typeof m.from !== 'string') return undefined;
    if (m.t === 'close') return { t: 'close', target: m.target, from: m.from };
    if (m.t === 'open' && typeof m.ms === 'number') {
      return {
        t: 'open',
        target: m.target,
        from: m.from,
        ms: m.ms,
        ...(typeof m.reason === 'string' ? { reason: m.reason } : {}),
      };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}
