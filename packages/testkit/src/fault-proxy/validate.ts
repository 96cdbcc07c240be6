import { InvalidOptionError } from '@failover/core';
import type { Fault, RequestFault } from './types.js';

const REQUEST_TYPES = new Set(['pass', 'status', 'latency', 'reset', 'cut', 'stall', 'blackhole']);

/**
 * Checks a fault's shape and returns a frozen copy, or throws `InvalidOptionError` naming the
 * offending field (`fault.status`, `fault.faults[1].probability`...).
 */
export function validateFault(fault: Fault, path = 'fault'): Fault {
  if (fault === null || typeof fault !== 'object') {
    throw new InvalidOptionError(path, 'must be a fault object such as { type: "pass" }');
  }
  switch (fault.type) {
    case 'refuse':
    case 'dns':
      return Object.freeze({ type: fault.type });
    case 'mix': {
      if (!Array.isArray(fault.faults)) throw new InvalidOptionError(`${path}.faults`, 'must be an array');
      const faults = fault.faults.map((f, i) => {
        if (!REQUEST_TYPES.has((f as { type?: unknown })?.type as string)) {
          throw new InvalidOptionError(
            `${path}.faults[${i}]`,
            'must be a request-level fault (pass, status, latency, reset, cut, stall, blackhole)',
          );
        }
        return validateFault(f, `${path}.faults[${i}]`) as RequestFault;
      });
      return Object.freeze({ type: 'mix', faults: Object.freeze(faults) });
    }
    case 'pass':
    case 'blackhole':
      break;
    case 'status':
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
        throw new InvalidOptionError(
          `${path}.status`,
          `must be an integer from 100 to 599, got ${String(fault.status)}`,
        );
      }
      nonNegative(fault.retryAfterSeconds, `${path}.retryAfterSeconds`);
      nonNegative(fault.delayMs, `${path}.delayMs`);
      break;
    case 'latency':
      if (typeof fault.ms !== 'number' || !Number.isFinite(fault.ms) || fault.ms < 0) {
        throw new InvalidOptionError(`${path}.ms`, `must be a non-negative number, got ${String(fault.ms)}`);
      }
      nonNegative(fault.perChunkMs, `${path}.perChunkMs`);
      if (fault.bytesPerSecond !== undefined && !(fault.bytesPerSecond > 0)) {
        throw new InvalidOptionError(`${path}.bytesPerSecond`, 'must be a positive number');
      }
      break;
    case 'reset':
      if (fault.afterBytes !== undefined && (!Number.isInteger(fault.afterBytes) || fault.afterBytes < 0)) {
        throw new InvalidOptionError(`${path}.afterBytes`, 'must be a non-negative integer');
      }
      nonNegative(fault.delayMs, `${path}.delayMs`);
      break;
    case 'cut':
    case 'stall':
      if (fault.afterBytes !== undefined && (!Number.isInteger(fault.afterBytes) || fault.afterBytes < 0)) {
        throw new InvalidOptionError(`${path}.afterBytes`, 'must be a non-negative integer');
      }
      break;
    default:
      throw new InvalidOptionError(
        `${path}.type`,
        `unknown fault type ${JSON.stringify((fault as { type?: unknown }).type)} ` +
          '(pass, status, latency, reset, cut, stall, blackhole, refuse, dns, mix)',
      );
  }
  const partial = fault as RequestFault & { probability?: unknown; match?: unknown };
  if (partial.probability !== undefined) {
    const p = partial.probability;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new InvalidOptionError(`${path}.probability`, `must be a number from 0 to 1, got ${String(p)}`);
    }
  }
  if (partial.match !== undefined && typeof partial.match !== 'function') {
    const m = partial.match;
    if (m === null || typeof m !== 'object') {
      throw new InvalidOptionError(`${path}.match`, 'must be { method?, path? } or a function');
    }
    const path_ = (m as { path?: unknown }).path;
    if (path_ !== undefined && typeof path_ !== 'string' && !(path_ instanceof RegExp)) {
      throw new InvalidOptionError(`${path}.match.path`, 'must be a string prefix or a RegExp');
    }
  }
  return Object.freeze({ ...fault });
}

function nonNegative(value: number | undefined, path: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(path, `must be a non-negative number, got ${String(value)}`);
  }
}
