import { createHash } from 'node:crypto';
import { join } from 'node:path';

/*
 * How keys map to paths under the root of a filesystem store.
 *
 * A key is split at `/` into segments. Every segment but the last names a directory, the last one
 * names the object file. Each name is a type tag, `~`, and the segment escaped:
 *
 *   o~<escaped>    an object file          d~<escaped>    a directory of keys "<segment>/..."
 *   ho~<sha256>    an object file whose escaped segment is too long for a file name
 *   hd~<sha256>    the same for a directory
 *
 * Escaping keeps the bytes a-z 0-9 `_` `-` `.` (except a final `.`) and writes every other UTF-8
 * byte as `%XX` (uppercase hex). So names are plain ASCII with no uppercase letters: distinct keys
 * never collide on case-insensitive or normalising filesystems (macOS, Windows), names never
 * end in a dot, never equal `.`, `..` or a reserved device name, and never contain a separator.
 * Objects and directories have different tags, so `a/b` and `a/b/c` both exist (`d~a/o~b` and
 * `d~a/d~b/o~c`). The store's own files start with `.` (temporary files `.tmp-*`), which no
 * encoded name does. Hashed names keep a segment of up to 1024 bytes within the 255-byte limit of
 * file names; their real segment is read back from the object file's trailer.
 */

/** The longest escaped segment stored as-is; longer ones are hashed. */
export const MAX_ESCAPED_SEGMENT = 200;

/** Prefix of the store's temporary files. */
export const TEMP_PREFIX = '.tmp-';

/** What a directory entry of the store holds, from its name. */
export type ParsedName =
  | { readonly type: 'object' | 'dir'; readonly segment: string }
  | { readonly type: 'object' | 'dir'; readonly hash: string };

const HEX = '0123456789ABCDEF';

function isKept(byte: number, last: boolean): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x5f || // _
    byte === 0x2d || // -
    (byte === 0x2e && !last) // . (not last: Windows drops trailing dots)
  );
}

/** Escapes one key segment (see the layout above). */
export function escapeSegment(segment: string): string {
  const bytes = Buffer.from(segment, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += isKept(b, i === bytes.length - 1) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Reverses {@link escapeSegment}; `undefined` when `escaped` is not exactly what it would produce. */
export function unescapeSegment(escaped: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped.charCodeAt(i);
    if (c === 0x25) {
      const hex = escaped.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(c);
  }
  const segment = Buffer.from(bytes).toString('utf8');
  return escapeSegment(segment) === escaped ? segment : undefined;
}

/** SHA-256 of a segment, lowercase hex: the name part of hashed entries. */
export function hashSegment(segment: string): string {
  return createHash('sha256').update(segment, 'utf8').digest('hex');
}

function entryName(type: 'o' | 'd', segment: string): string {
  const escaped = escapeSegment(segment);
  return escaped.length <= MAX_ESCAPED_SEGMENT ? `${type}~${escaped}` : `h${type}~${hashSegment(segment)}`;
}

/** The file name of an object whose last key segment is `segment`. */
export function objectName(segment: string): string {
  return entryName('o', segment);
}

/** The directory name for keys whose segment at this depth is `segment`. */
export function dirName(segment: string): string {
  return entryName('d', segment);
}

/** Parses a directory entry's name; `undefined` for the store's own files and anything foreign. */
export function parseName(name: string): ParsedName | undefined {
  const tilde = name.indexOf('~');
  if (tilde < 0) return undefined;
  const tag = name.slice(0, tilde);
  const rest = name.slice(tilde + 1);
  if (tag === 'o' || tag === 'd') {
    const segment = unescapeSegment(rest);
    if (segment === undefined || segment.includes('/')) return undefined;
    if (escapeSegment(segment).length > MAX_ESCAPED_SEGMENT) return undefined;
    return { type: tag === 'o' ? 'object' : 'dir', segment };
  }
  if ((tag === 'ho' || tag === 'hd') && /^[0-9a-f]{64}$/.test(rest)) {
    return { type: tag === 'ho' ? 'object' : 'dir', hash: rest };
  }
  return undefined;
}

/** The directory path for the key segments `segments` (all directories) under `root`. */
export function dirPath(root: string, segments: readonly string[]): string {
  return segments.length === 0 ? root : join(root, ...segments.map(dirName));
}

/** Where the object for `key` (already validated) lives: its directory and its file. */
export function locate(root: string, key: string): { readonly dir: string; readonly file: string } {
  const segments = key.split('/');
  const last = segments.pop()!;
  const dir = dirPath(root, segments);
  return { dir, file: join(dir, objectName(last)) };
}
