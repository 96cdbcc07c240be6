import { InvalidArgumentError } from '../errors.js';
import type { JournalEntry } from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Checks a journal entry and returns a frozen copy holding only the known fields, with `holders`
 * and `missing` de-duplicated and `sha256` lower-cased. Throws an `InvalidArgumentError` naming
 * the field (`entry.missing`...) when the entry is malformed. A target may not be both a holder
 * and missing.
 */
export function normalizeEntry(entry: unknown): JournalEntry {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new InvalidArgumentError('entry', 'must be an object');
  }
  const e = entry as Record<string, unknown>;
  const id = nonEmptyString(e.id, 'entry.id');
  if (e.op !== 'put' && e.op !== 'delete') {
    throw new InvalidArgumentError('entry.op', `must be "put" or "delete", got ${describe(e.op)}`);
  }
  const key = nonEmptyString(e.key, 'entry.key');
  const version = nonEmptyString(e.version, 'entry.version');
  let sha256: string | undefined;
  if (e.sha256 !== undefined) {
    if (typeof e.sha256 !== 'string' || !SHA256_HEX.test(e.sha256.toLowerCase())) {
      throw new InvalidArgumentError('entry.sha256', 'must be 64 hex digits (a SHA-256)');
    }
    sha256 = e.sha256.toLowerCase();
  }
  if (e.size !== undefined && (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0)) {
    throw new InvalidArgumentError('entry.size', `must be a non-negative integer, got ${describe(e.size)}`);
  }
  const holders = targets(e.holders, 'entry.holders');
  const missing = targets(e.missing, 'entry.missing');
  const both = missing.find((t) => holders.includes(t));
  if (both !== undefined) {
    throw new InvalidArgumentError('entry.missing', `target ${JSON.stringify(both)} is also a holder`);
  }
  if (typeof e.at !== 'number' || !Number.isFinite(e.at) || e.at < 0) {
    throw new InvalidArgumentError('entry.at', `must be a time in ms since the epoch, got ${describe(e.at)}`);
  }
  for (const flag of ['intent', 'degraded', 'provisional'] as const) {
    if (e[flag] !== undefined && typeof e[flag] !== 'boolean') {
      throw new InvalidArgumentError(`entry.${flag}`, `must be a boolean, got ${describe(e[flag])}`);
    }
  }
  if (e.provisional === true && e.intent !== true) {
    throw new InvalidArgumentError(
      'entry.provisional',
      'needs intent: true (a provisional entry is an intent)',
    );
  }
  if (e.notBefore !== undefined && (typeof e.notBefore !== 'number' || !Number.isFinite(e.notBefore))) {
    throw new InvalidArgumentError(
      'entry.notBefore',
      `must be a time in ms since the epoch, got ${describe(e.notBefore)}`,
    );
  }
  const out: JournalEntry = {
    id,
    op: e.op,
    key,
    version,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(e.size === undefined ? {} : { size: e.size as number }),
    holders: Object.freeze(holders),
    missing: Object.freeze(missing),
    at: e.at,
    ...(e.intent === true ? { intent: true } : {}),
    ...(typeof e.notBefore === 'number' ? { notBefore: e.notBefore } : {}),
    ...(e.degraded === true ? { degraded: true } : {}),
    ...(e.provisional === true ? { provisional: true } : {}),
  };
  return Object.freeze(out);
}

/** Checks the arguments of `resolve`. */
export function checkResolveArgs(id: unknown, target: unknown): void {
  nonEmptyString(id, 'id');
  nonEmptyString(target, 'target');
}

/** Checks the arguments of a `settleIntent` call (an id, and `'withdraw'` or `'confirm'`). */
export function checkSettleArgs(id: unknown, how: unknown): void {
  nonEmptyString(id, 'id');
  if (how !== 'withdraw' && how !== 'confirm') {
    throw new InvalidArgumentError('how', `must be 'withdraw' or 'confirm', got ${describe(how)}`);
  }
}

/** Checks the key of a `highWater` call (a non-empty string); returns it. */
export function checkKey(key: unknown): string {
  return nonEmptyString(key, 'key');
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(name, `must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function targets(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(name, 'must be an array of target names');
  const out: string[] = [];
  value.forEach((t: unknown, i: number) => {
    const target = nonEmptyString(t, `${name}[${i}]`);
    if (!out.includes(target)) out.push(target);
  });
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
