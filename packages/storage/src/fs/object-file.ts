import type { FileHandle } from 'node:fs/promises';
import { StorageError } from '../errors.js';
import type { ObjectRecord } from '../record.js';

/*
 * An object file is the object's bytes, then a trailer: the object's record as UTF-8 JSON, then a
 * 12-byte footer (the JSON's length as a big-endian uint32, then the magic `FOBLOB01`). The bytes
 * come first so a stream can be written straight to the file while its MD5 and size are being
 * computed; the trailer is appended at the end. Content, metadata and etag live in one file, so
 * one rename replaces all of them at once and a reader holding the file open sees one version.
 */

const MAGIC = Buffer.from('FOBLOB01', 'ascii');
/** Bytes of the footer: JSON length (4) and magic (8). */
export const FOOTER_BYTES = 12;
/** The largest trailer JSON accepted when reading (keys, metadata and the rest are far smaller). */
const MAX_TRAILER_JSON = 64 * 1024;

interface TrailerJson extends ObjectRecord {
  readonly v: 1;
}

/** The trailer to append after an object's bytes. */
export function encodeTrailer(record: ObjectRecord): Buffer {
  const json = Buffer.from(JSON.stringify({ v: 1, ...record } satisfies TrailerJson), 'utf8');
  const footer = Buffer.alloc(FOOTER_BYTES);
  footer.writeUInt32BE(json.length, 0);
  MAGIC.copy(footer, 4);
  return Buffer.concat([json, footer]);
}

/**
 * Reads the record from an open object file. Throws a {@link StorageError} (`kind: 'unknown'`)
 * when the file is not a well-formed object file.
 */
export async function readRecord(handle: FileHandle, key: string, target: string): Promise<ObjectRecord> {
  const { size: fileSize } = await handle.stat();
  const corrupt = (reason: string): StorageError =>
    new StorageError('unknown', `Stored object ${JSON.stringify(key)} is corrupt: ${reason}`, {
      key,
      target,
    });
  if (fileSize < FOOTER_BYTES) throw corrupt('file too short');
  const footer = await readAt(handle, fileSize - FOOTER_BYTES, FOOTER_BYTES);
  if (!footer.subarray(4).equals(MAGIC)) throw corrupt('no trailer');
  const jsonBytes = footer.readUInt32BE(0);
  if (jsonBytes > MAX_TRAILER_JSON || jsonBytes > fileSize - FOOTER_BYTES)
    throw corrupt('bad trailer length');
  const contentBytes = fileSize - FOOTER_BYTES - jsonBytes;
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readAt(handle, contentBytes, jsonBytes)).toString('utf8'));
  } catch (err) {
    throw new StorageError('unknown', `Stored object ${JSON.stringify(key)} is corrupt: bad trailer`, {
      key,
      target,
      cause: err,
    });
  }
  if (!isTrailer(parsed) || parsed.size !== contentBytes) throw corrupt('bad trailer');
  const { v: _version, ...record } = parsed;
  return record;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

function isTrailer(value: unknown): value is TrailerJson {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.v === 1 &&
    typeof v.key === 'string' &&
    Number.isSafeInteger(v.size) &&
    typeof v.contentType === 'string' &&
    typeof v.etag === 'string' &&
    typeof v.md5 === 'string' &&
    Number.isFinite(v.lastModified) &&
    typeof v.metadata === 'object' &&
    v.metadata !== null &&
    Object.values(v.metadata).every((m) => typeof m === 'string')
  );
}
