import { type OptionsReader, optionError, readOptions } from '@failover/core';
import type { Fault, RequestFault } from './types.js';

const REQUEST_TYPES = ['pass', 'status', 'latency', 'reset', 'cut', 'corrupt', 'stall', 'blackhole'] as const;
const TYPES = [...REQUEST_TYPES, 'refuse', 'dns', 'mix'] as const;

/**
 * Checks a fault's shape and returns a frozen copy, or throws `InvalidOptionError` naming the
 * offending field (`fault.status`, `fault.faults[1].probability`...), worded like every option
 * error of the project (core's `readOptions`). Unknown fields are refused.
 */
export function validateFault(fault: Fault, path = 'fault'): Fault {
  const r = readOptions(fault, path);
  const type = r.oneOf('type', TYPES, { required: true });
  switch (type) {
    case 'refuse':
    case 'dns':
      r.done();
      return Object.freeze({ type });
    case 'mix': {
      const list = r.array('faults', { of: 'request-level faults', required: true });
      const faults = list.map((f, i) => {
        const at = r.at('faults', i);
        const inner = (f as { type?: unknown } | null)?.type;
        if (!(REQUEST_TYPES as readonly unknown[]).includes(inner)) {
          throw optionError(at, `a request-level fault (${REQUEST_TYPES.join(', ')})`, f);
        }
        return validateFault(f as RequestFault, at) as RequestFault;
      });
      r.done();
      return Object.freeze({ type: 'mix', faults: Object.freeze(faults) });
    }
    case 'pass':
    case 'blackhole':
      break;
    case 'status':
      r.int('status', { min: 100, max: 599, required: true });
      nonNegative(r, 'retryAfterSeconds');
      nonNegative(r, 'delayMs');
      for (const name of ['code', 'message', 'headers', 'body']) r.value(name);
      break;
    case 'latency':
      r.number('ms', { min: 0, required: true });
      nonNegative(r, 'perChunkMs');
      r.check('bytesPerSecond', isPositive, 'a positive number');
      break;
    case 'reset':
      r.int('afterBytes', { min: 0 });
      nonNegative(r, 'delayMs');
      break;
    case 'cut':
    case 'corrupt':
    case 'stall':
      r.int('afterBytes', { min: 0 });
      break;
  }
  r.number('probability', { min: 0, max: 1 });
  const match = r.value('match');
  if (match !== undefined && typeof match !== 'function') {
    const m = r.object('match');
    m.value('method');
    m.check('path', isPathMatch, 'a string prefix or a RegExp');
    m.done();
  }
  r.done();
  return Object.freeze({ ...fault });
}

function nonNegative(r: OptionsReader, name: string): void {
  r.number(name, { min: 0 });
}

const isPositive = (v: unknown): v is number => typeof v === 'number' && v > 0;
const isPathMatch = (v: unknown): v is string | RegExp => typeof v === 'string' || v instanceof RegExp;
