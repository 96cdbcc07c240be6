import type { StoredObject } from './object-model.js';
import { conditionNotMet, GcsProblem, invalid } from './problem.js';

/** The `if*Match` query parameters of a request, about one object. */
export interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

const NAMES = [
  'GenerationMatch',
  'GenerationNotMatch',
  'MetagenerationMatch',
  'MetagenerationNotMatch',
] as const;

/**
 * Reads `ifGenerationMatch` & co. (or, with `source`, `ifSourceGenerationMatch` & co.) from a
 * query. Values must be non-negative integers, else 400.
 */
export function parsePreconditions(query: URLSearchParams, source = false): Preconditions {
  const out: Preconditions = {};
  for (const name of NAMES) {
    const param = source ? `ifSource${name}` : `if${name}`;
    const raw = query.get(param);
    if (raw === null || raw === '') continue;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw invalid(`Invalid value for ${param}: '${raw}'. Expected a non-negative integer.`);
    }
    out[`if${name}`] = Number(raw);
  }
  return out;
}

/**
 * Checks preconditions against the current object (or `undefined` when there is none; its
 * generation then counts as `0`, so `ifGenerationMatch=0` means "must not exist", and any
 * `ifGenerationNotMatch` fails, so `ifGenerationNotMatch=0` means "must exist"). A failed check
 * is a 412, except a failed `*NotMatch` on a read, which is a 304 as on GCS.
 */
export function checkPreconditions(
  object: StoredObject | undefined,
  pre: Preconditions,
  options: { read?: boolean } = {},
): void {
  const generation = object?.generation ?? 0;
  if (pre.ifGenerationMatch !== undefined && generation !== pre.ifGenerationMatch) throw conditionNotMet();
  if (pre.ifMetagenerationMatch !== undefined && object?.metageneration !== pre.ifMetagenerationMatch) {
    throw conditionNotMet();
  }
  // "If no live object exists, the precondition fails" (the reference, for ifGenerationNotMatch).
  const notMatchFailed =
    (pre.ifGenerationNotMatch !== undefined &&
      (object === undefined || generation === pre.ifGenerationNotMatch)) ||
    (pre.ifMetagenerationNotMatch !== undefined &&
      object !== undefined &&
      object.metageneration === pre.ifMetagenerationNotMatch);
  if (notMatchFailed) {
    if (options.read) throw new GcsProblem(304, 'notModified', 'Not Modified');
    throw conditionNotMet();
  }
}
