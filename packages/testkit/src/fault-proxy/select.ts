import type { Random } from './rng.js';
import type { Fault, PassFault, RequestFault, RequestInfo, RequestMatch } from './types.js';

const PASS: PassFault = Object.freeze({ type: 'pass' });

/** True when `request` satisfies `match` (no `match` matches everything). */
export function matches(match: RequestMatch | undefined, request: RequestInfo): boolean {
  if (match === undefined) return true;
  if (typeof match === 'function') return match(request);
  if (match.method !== undefined) {
    const methods = typeof match.method === 'string' ? [match.method] : match.method;
    if (!methods.some((m) => m.toUpperCase() === request.method)) return false;
  }
  if (match.path !== undefined) {
    if (typeof match.path === 'string') {
      if (!request.path.startsWith(match.path)) return false;
    } else {
      match.path.lastIndex = 0;
      if (!match.path.test(request.url)) return false;
    }
  }
  return true;
}

/**
 * The request-level fault to apply to one request under `fault`: the first candidate whose
 * `match` accepts the request and whose `probability` draw hits, else `pass`. A random draw is
 * made only for matching candidates whose probability is strictly between 0 and 1.
 * Returns `undefined` for the connection-level faults (`refuse`, `dns`).
 */
export function selectFault(fault: Fault, request: RequestInfo, random: Random): RequestFault | undefined {
  if (fault.type === 'refuse' || fault.type === 'dns') return undefined;
  const candidates = fault.type === 'mix' ? fault.faults : [fault];
  for (const candidate of candidates) {
    if (!matches(candidate.match, request)) continue;
    const p = candidate.probability ?? 1;
    if (p >= 1 || (p > 0 && random() < p)) return candidate;
  }
  return PASS;
}
