import { createHash, type Hash } from 'node:crypto';
import type { FileMetadata } from '@google-cloud/storage';
import { crc32c, crc32cBase64 } from './crc32c.js';

/** Checks a whole object's bytes as they flow against the checksum GCS keeps for it. */
export interface ContentCheck {
  update(chunk: Buffer): void;
  /** At the end: the error to fail the read with when the bytes do not match, else `undefined`. */
  verify(): Error | undefined;
}

/** The code of a download whose bytes do not match (the client's own code for it). */
export const DOWNLOAD_MISMATCH = 'CONTENT_DOWNLOAD_MISMATCH';

/**
 * The check of a whole-object read of the generation `metadata` describes: its MD5 (`md5Hash`,
 * computed natively) when GCS keeps one, else its CRC32C (composite objects have no MD5), else
 * none (`null`). `undefined` when this check cannot apply: an object stored gzip-encoded arrives
 * decompressed, so its bytes are not the ones the checksums cover (the client's own validation
 * checks those).
 */
export function contentCheckOf(metadata: FileMetadata): ContentCheck | null | undefined {
  const encoding = metadata.contentEncoding;
  if (typeof encoding === 'string' && encoding !== '' && encoding !== 'identity') return undefined;
  if (typeof metadata.md5Hash === 'string' && metadata.md5Hash !== '') {
    return new Md5Check(metadata.md5Hash);
  }
  if (typeof metadata.crc32c === 'string' && metadata.crc32c !== '') return new Crc32cCheck(metadata.crc32c);
  return null;
}

class Md5Check implements ContentCheck {
  readonly #hash: Hash = createHash('md5');
  readonly #expected: string;
  constructor(expected: string) {
    this.#expected = expected;
  }
  update(chunk: Buffer): void {
    this.#hash.update(chunk);
  }
  verify(): Error | undefined {
    const actual = this.#hash.digest('base64');
    return actual === this.#expected ? undefined : mismatch('md5', this.#expected, actual);
  }
}

class Crc32cCheck implements ContentCheck {
  #crc = 0;
  readonly #expected: string;
  constructor(expected: string) {
    this.#expected = expected;
  }
  update(chunk: Buffer): void {
    this.#crc = crc32c(chunk, this.#crc);
  }
  verify(): Error | undefined {
    const actual = crc32cBase64(this.#crc);
    return actual === this.#expected ? undefined : mismatch('crc32c', this.#expected, actual);
  }
}

/** What a failed check found: the error's `code` is the client's own for a mismatch. */
export interface MismatchDetail {
  readonly code: typeof DOWNLOAD_MISMATCH;
  readonly checksum: string;
  readonly expected: string;
  readonly actual: string;
}

function mismatch(checksum: string, expected: string, actual: string): Error & MismatchDetail {
  return Object.assign(
    new Error(
      `The downloaded data did not match the object's ${checksum} (expected ${expected}, got ${actual})`,
    ),
    { code: DOWNLOAD_MISMATCH, checksum, expected, actual } as const,
  );
}
