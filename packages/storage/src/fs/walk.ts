import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compareUtf8 } from '../order.js';
import type { ObjectRecord } from '../record.js';
import { hasCode } from './errors.js';
import { dirPath, hashSegment, type ParsedName, parseName } from './layout.js';
import { symlinkUnder } from './symlinks.js';

/** Mutable state shared between a walk and its reader. */
export interface WalkState {
  /**
   * Keys starting with this are not wanted any more (the reader rolled them up into a common
   * prefix): the walk skips them, and whole directories under it, without reading them.
   */
  skip: string | undefined;
}

/** One object found by {@link walkObjects}. */
export interface FoundObject {
  readonly key: string;
  readonly file: string;
  /** The object's record when the walk had to read it (hashed names); otherwise read it yourself. */
  readonly record: ObjectRecord | undefined;
}

/** Reads the record of the object file at `file`; `undefined` when it vanished meanwhile. */
export type RecordReader = (file: string, key: string | undefined) => Promise<ObjectRecord | undefined>;

interface Context {
  readonly prefix: string;
  readonly state: WalkState;
  readonly recordAt: RecordReader;
}

interface Child {
  readonly type: 'object' | 'dir';
  readonly path: string;
  /** The key of an object; the key prefix (ending in `/`) of a directory. */
  readonly sortKey: string;
  readonly record: ObjectRecord | undefined;
}

/**
 * Yields every object whose key starts with `prefix`, in UTF-8 byte order of keys, reading only
 * the directories that can hold such keys. Children of a directory are sorted by the key (for an
 * object) or key prefix `segment/` (for a directory) they stand for; every key under a directory
 * starts with its prefix, so a depth-first walk in that order yields keys in global order.
 * Directories are read when the walk reaches them: objects written or deleted during a walk may or
 * may not be seen, but none is seen twice. Symlinks are never followed: not as entries, and not on
 * the way from `root` to the prefix's directory (the walk then finds nothing).
 */
export async function* walkObjects(
  root: string,
  prefix: string,
  state: WalkState,
  recordAt: RecordReader,
): AsyncGenerator<FoundObject> {
  const dirSegments = prefix.split('/').slice(0, -1);
  const keyPrefix = dirSegments.length === 0 ? '' : `${dirSegments.join('/')}/`;
  if ((await symlinkUnder(root, dirPath(root, dirSegments))) !== undefined) return;
  yield* walkDir(dirPath(root, dirSegments), keyPrefix, dirSegments.length, { prefix, state, recordAt });
}

async function* walkDir(
  dir: string,
  keyPrefix: string,
  depth: number,
  ctx: Context,
): AsyncGenerator<FoundObject> {
  const entries = await readEntries(dir);
  const children: Child[] = [];
  for (const entry of entries) {
    const child = await describeChild(dir, entry, keyPrefix, depth, ctx.recordAt);
    if (!child) continue;
    const relevant =
      child.sortKey.startsWith(ctx.prefix) || (child.type === 'dir' && ctx.prefix.startsWith(child.sortKey));
    if (relevant) children.push(child);
  }
  children.sort((a, b) => compareUtf8(a.sortKey, b.sortKey));
  for (const child of children) {
    const skip = ctx.state.skip;
    if (skip !== undefined && child.sortKey.startsWith(skip)) continue;
    if (child.type === 'object') yield { key: child.sortKey, file: child.path, record: child.record };
    else yield* walkDir(child.path, child.sortKey, depth + 1, ctx);
  }
}

async function describeChild(
  dir: string,
  entry: Dirent,
  keyPrefix: string,
  depth: number,
  recordAt: RecordReader,
): Promise<Child | undefined> {
  const parsed = parseName(entry.name);
  if (!parsed || !hasType(entry, parsed)) return undefined; // our own files, foreign files, symlinks
  const path = join(dir, entry.name);
  const suffix = parsed.type === 'dir' ? '/' : '';
  if ('segment' in parsed) {
    return { type: parsed.type, path, sortKey: keyPrefix + parsed.segment + suffix, record: undefined };
  }
  if (parsed.type === 'object') {
    const record = await recordAt(path, undefined);
    if (!record?.key.startsWith(keyPrefix)) return undefined;
    const segment = record.key.slice(keyPrefix.length);
    if (segment.includes('/') || hashSegment(segment) !== parsed.hash) return undefined;
    return { type: 'object', path, sortKey: record.key, record };
  }
  const segment = await segmentBelow(path, depth, recordAt);
  if (segment === undefined || hashSegment(segment) !== parsed.hash) return undefined;
  return { type: 'dir', path, sortKey: `${keyPrefix}${segment}/`, record: undefined };
}

/**
 * The key segment at `depth` of any object under `dir` (a hashed directory's real name), or
 * `undefined` when the directory holds no object.
 */
async function segmentBelow(dir: string, depth: number, recordAt: RecordReader): Promise<string | undefined> {
  for (const entry of await readEntries(dir)) {
    const parsed = parseName(entry.name);
    if (!parsed || !hasType(entry, parsed)) continue;
    const path = join(dir, entry.name);
    if (parsed.type === 'object') {
      const record = await recordAt(path, undefined);
      if (record) return record.key.split('/')[depth];
    } else {
      const segment = await segmentBelow(path, depth, recordAt);
      if (segment !== undefined) return segment;
    }
  }
  return undefined;
}

async function readEntries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (hasCode(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}

function hasType(entry: Dirent, parsed: ParsedName): boolean {
  return parsed.type === 'object' ? entry.isFile() : entry.isDirectory();
}
