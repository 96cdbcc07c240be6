import { invalid } from './problem.js';

const BUCKET_CHARS = /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/;
const IP_LIKE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Why `name` is not a valid bucket name under GCS's rules (3-63 characters of lowercase letters,
 * digits, `-`, `_` and `.`, starting and ending with a letter or digit; up to 222 with dots, each
 * dot-separated part at most 63; not an IP address; not starting with `goog` nor containing
 * `google`), or `undefined` when it is valid.
 */
export function bucketNameProblem(name: string): string | undefined {
  const hasDots = name.includes('.');
  if (name.length < 3 || name.length > (hasDots ? 222 : 63)) {
    return 'must be 3-63 characters long (up to 222 with dots)';
  }
  if (!BUCKET_CHARS.test(name)) {
    return 'may hold only lowercase letters, digits, "-", "_" and ".", and must start and end with a letter or digit';
  }
  if (hasDots && name.split('.').some((part) => part.length === 0 || part.length > 63)) {
    return 'each dot-separated part must be 1-63 characters long';
  }
  if (IP_LIKE.test(name)) return 'must not look like an IP address';
  if (name.startsWith('goog') || name.includes('google')) {
    return 'must not start with "goog" nor contain "google"';
  }
  return undefined;
}

/** Throws a 400 `invalid` when `name` is not a valid bucket name. */
export function checkBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) throw invalid(`Invalid bucket name: '${name}': ${problem}.`);
}

/**
 * Why `name` is not a valid object name under GCS's rules (1-1024 bytes of UTF-8, no carriage
 * return, line feed or NUL, not `.` or `..`, not under `.well-known/acme-challenge/`, no lone
 * surrogates), or `undefined`.
 */
export function objectNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > 1024) return 'must be 1-1024 bytes of UTF-8';
  if (/[\r\n]/.test(name)) return 'must not contain carriage returns or line feeds';
  if (name.includes('\u0000')) return 'must not contain NUL characters';
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (name.startsWith('.well-known/acme-challenge/'))
    return 'must not start with ".well-known/acme-challenge/"';
  if (/[\uD800-\uDFFF]/u.test(name.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    return 'must be valid UTF-8 (no lone surrogates)';
  }
  return undefined;
}

/** Throws a 400 `invalid` when `name` is not a valid object name. */
export function checkObjectName(name: string): void {
  const problem = objectNameProblem(name);
  if (problem !== undefined) throw invalid(`The object name is invalid: ${problem}.`);
}

/**
 * Compares two strings by their UTF-8 bytes (the order GCS lists in). Equal to code point order,
 * which differs from JavaScript's UTF-16 order for characters above U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (U+D800-U+DFFF) encode code points above U+FFFF: they sort after U+E000-U+FFFF.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca < cb ? -1 : 1;
  }
  return la === lb ? 0 : la < lb ? -1 : 1;
}
