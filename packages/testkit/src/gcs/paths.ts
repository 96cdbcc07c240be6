import { GcsProblem } from './problem.js';

/** Which family of endpoints a path belongs to. */
export type ApiFamily = 'json' | 'upload' | 'download';

/** A request path with its API prefix removed, split into decoded segments. */
export interface ParsedPath {
  family: ApiFamily;
  segments: string[];
}

/**
 * Splits a raw (still percent-encoded) path into decoded segments and removes the API prefix:
 * `/storage/v1` (or none: the `STORAGE_EMULATOR_HOST` form), `/upload/storage/v1`,
 * `/download/storage/v1`. Splitting happens before decoding, so `a%2Fb` stays one segment
 * (`a/b`). Bad percent-encoding is a 400.
 */
export function parsePath(rawPath: string): ParsedPath {
  let raw = rawPath.split('/');
  if (raw[0] === '') raw = raw.slice(1);
  if (raw.length > 0 && raw[raw.length - 1] === '') raw = raw.slice(0, -1);
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    throw new GcsProblem(400, 'invalid', 'The request path is not valid percent-encoded UTF-8.');
  }
  let family: ApiFamily = 'json';
  for (let round = 0; round < 2; round++) {
    if (segments[0] === 'storage' && segments[1] === 'v1') {
      segments = segments.slice(2);
    } else if (
      (segments[0] === 'upload' || segments[0] === 'download') &&
      segments[1] === 'storage' &&
      segments[2] === 'v1'
    ) {
      family = segments[0];
      segments = segments.slice(3);
    }
  }
  return { family, segments };
}
