import { randomBytes } from 'node:crypto';
import { crc32, crc32Hex } from './crc32.js';
import { normalizeEntry } from './entry.js';
import type { JournalEntry } from './types.js';

/** The version of the file format this code writes and reads. */
export const JOURNAL_FORMAT = 1;

/** What a journal id in a header looks like: 1 to 64 characters of `[A-Za-z0-9_-]`. */
export const JOURNAL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A new random journal id (32 hex digits). */
export function newJournalId(): string {
  return randomBytes(16).toString('hex');
}

/** One line of the journal file. */
export type JournalRecord =
  /**
   * The first line of every file: the format version and, in a compacted file, `newest`: the
   * newest version of every entry appended before the compaction (most of them are gone from the
   * file), so that the journal's newest version survives it. Readers that predate `newest` ignore
   * it; a file without it (an older one, or one never compacted) is read the same. `id`: the
   * journal's identity (`Journal.journalId`), random, written with the file's first header and
   * carried over by every compaction. Readers that predate it ignore it; a file without it (written
   * by an older version) has no known id until its next compaction writes one.
   */
  | { readonly t: 'header'; readonly format: number; readonly newest?: string; readonly id?: string }
  /** An appended entry. */
  | { readonly t: 'append'; readonly e: JournalEntry }
  /** `target` now holds the entry `id`. */
  | { readonly t: 'resolve'; readonly id: string; readonly target: string };

/** A line read back: its record, or why it is unusable. */
export type DecodedLine = { readonly record: JournalRecord } | { readonly error: string };

/** `,"crc":"` + 8 hex digits + `"}`: the fixed-length end of every line (before the newline). */
const SUFFIX_BYTES = 18;
const SUFFIX_HEAD = Buffer.from(',"crc":"');
const CLOSE_BRACE = Buffer.from('}');
const HEX = /^[0-9a-f]{8}$/;

/**
 * One record as a line: its JSON with a last field `crc` holding the CRC-32 (hex) of the same JSON
 * without that field, then `\n`. JSON strings escape every control character, so a line never
 * holds a newline of its own.
 */
export function encodeRecord(record: JournalRecord): Buffer {
  const body = Buffer.from(
    JSON.stringify(record.t === 'append' ? { t: 'append', e: entryFields(record.e) } : record),
  );
  const crc = crc32Hex(crc32(body));
  return Buffer.concat([body.subarray(0, body.length - 1), Buffer.from(`,"crc":"${crc}"}\n`)]);
}

/** Reads one line (without its newline): checks its checksum, parses and validates it. */
export function decodeLine(line: Buffer): DecodedLine {
  const at = line.length - SUFFIX_BYTES;
  if (at < 2 || line[0] !== 0x7b || !line.subarray(at, at + SUFFIX_HEAD.length).equals(SUFFIX_HEAD)) {
    return { error: 'no checksum field' };
  }
  const stored = line.subarray(at + SUFFIX_HEAD.length, at + SUFFIX_HEAD.length + 8).toString('latin1');
  if (!HEX.test(stored) || line[line.length - 2] !== 0x22 || line[line.length - 1] !== 0x7d) {
    return { error: 'no checksum field' };
  }
  const actual = crc32Hex(crc32(CLOSE_BRACE, crc32(line, 0, 0, at)));
  if (actual !== stored) return { error: `checksum mismatch (stored ${stored}, computed ${actual})` };
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return { error: 'not valid JSON' };
  }
  return toRecord(value);
}

function toRecord(value: unknown): DecodedLine {
  const v = value as Record<string, unknown>;
  switch (v.t) {
    case 'header':
      if (typeof v.format !== 'number' || !Number.isInteger(v.format) || v.format < 1) {
        return { error: 'header without a valid format' };
      }
      if (v.newest !== undefined && (typeof v.newest !== 'string' || v.newest === '')) {
        return { error: 'header with an invalid newest version' };
      }
      if (v.id !== undefined && (typeof v.id !== 'string' || !JOURNAL_ID.test(v.id))) {
        return { error: 'header with an invalid journal id' };
      }
      return {
        record: {
          t: 'header',
          format: v.format,
          ...(v.newest === undefined ? {} : { newest: v.newest }),
          ...(v.id === undefined ? {} : { id: v.id }),
        },
      };
    case 'append':
      try {
        return { record: { t: 'append', e: normalizeEntry(v.e) } };
      } catch (err) {
        return { error: `invalid entry (${(err as Error).message})` };
      }
    case 'resolve':
      if (typeof v.id !== 'string' || v.id === '' || typeof v.target !== 'string' || v.target === '') {
        return { error: 'resolve record without id or target' };
      }
      return { record: { t: 'resolve', id: v.id, target: v.target } };
    default:
      return { error: `unknown record type ${JSON.stringify(String(v.t)).slice(0, 40)}` };
  }
}

/** The entry's fields in a fixed order, without anything else the caller's object carried. */
function entryFields(e: JournalEntry): JournalEntry {
  return {
    id: e.id,
    op: e.op,
    key: e.key,
    version: e.version,
    ...(e.sha256 === undefined ? {} : { sha256: e.sha256 }),
    ...(e.size === undefined ? {} : { size: e.size }),
    holders: e.holders,
    missing: e.missing,
    at: e.at,
    ...(e.intent === true ? { intent: true } : {}),
    ...(e.notBefore === undefined ? {} : { notBefore: e.notBefore }),
    ...(e.degraded === true ? { degraded: true } : {}),
    ...(e.provisional === true ? { provisional: true } : {}),
  };
}
