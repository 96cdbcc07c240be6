import type { BlobInfo } from '@failover/storage';
import { expect } from 'vitest';
import { md5 } from './data.js';

/** The shape a rejection must have: a library error's class name, `kind` and (when given) `key`. */
export interface ExpectedError {
  readonly name: string;
  readonly kind: string;
  readonly key?: string;
}

/**
 * Awaits `action` and checks it rejects with an `Error` of the given name and kind (names, not
 * `instanceof`, so a second copy of the library in node_modules still passes). Returns the error.
 */
export async function expectRejection(
  action: Promise<unknown> | (() => Promise<unknown>),
  expected: ExpectedError,
): Promise<Error & { kind?: unknown; key?: unknown }> {
  let settled: { error: unknown } | undefined;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    settled = { error };
  }
  expect(settled, `expected a rejection with ${expected.name}, but the call succeeded`).toBeDefined();
  const error = settled!.error as Error & { kind?: unknown; key?: unknown };
  expect(error).toBeInstanceOf(Error);
  expect({ name: error.name, kind: error.kind }).toEqual({ name: expected.name, kind: expected.kind });
  if (expected.key !== undefined) expect(error.key).toBe(expected.key);
  return error;
}

/** Checks `action` rejects with core's `AbortedError` (kind `aborted`) whose `cause` is `reason`. */
export async function expectAborted(
  action: Promise<unknown> | (() => Promise<unknown>),
  reason: unknown,
): Promise<void> {
  const error = await expectRejection(action, { name: 'AbortedError', kind: 'aborted' });
  expect(error.cause).toBe(reason);
}

/** What a test knows about an object, to check a {@link BlobInfo} against. */
export interface ExpectedInfo {
  readonly key: string;
  readonly size: number;
  readonly bytes?: Uint8Array;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
}

/**
 * Checks a {@link BlobInfo} returned by `source`. Every source: `key` as given (no store prefix),
 * `size`, `metadata` a plain object of strings, `checksums` an object whose `md5` (when present) is
 * lowercase hex and matches the bytes, `etag` (when present) a non-empty string. `head` and `get`
 * must report `lastModified`, the content type and the metadata; `put`, `copy` and `list` entries
 * are checked for them only where the store returns them (S3 lists neither metadata nor types).
 */
export function expectInfo(
  info: BlobInfo | null | undefined,
  expected: ExpectedInfo,
  source: 'put' | 'copy' | 'head' | 'get' | 'list',
): void {
  expect(info, `${source} returned no info`).toBeTruthy();
  const i = info!;
  expect(i.key).toBe(expected.key);
  expect(i.size).toBe(expected.size);
  expect(isPlainStringRecord(i.metadata), `${source}: metadata must be an object of strings`).toBe(true);
  expect(
    typeof i.checksums === 'object' && i.checksums !== null,
    `${source}: checksums must be an object`,
  ).toBe(true);
  if (i.etag !== undefined) expect(typeof i.etag === 'string' && i.etag.length > 0).toBe(true);
  if (i.checksums.md5 !== undefined) {
    expect(i.checksums.md5).toMatch(/^[0-9a-f]{32}$/);
    if (expected.bytes) expect(i.checksums.md5).toBe(md5(expected.bytes));
  }
  const full = source === 'head' || source === 'get';
  if (full || i.lastModified !== undefined) {
    expect(i.lastModified).toBeInstanceOf(Date);
    expect(Number.isNaN(i.lastModified!.getTime())).toBe(false);
  }
  if (source === 'list') expect(i.lastModified, 'list entries must carry lastModified').toBeInstanceOf(Date);
  if (expected.contentType !== undefined && (full || i.contentType !== undefined)) {
    expect(i.contentType).toBe(expected.contentType);
  }
  if (expected.metadata !== undefined && (full || Object.keys(i.metadata).length > 0)) {
    expect(i.metadata).toEqual(expected.metadata);
  }
}

function isPlainStringRecord(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
