// The BlobStore contract suite (`@failover/testkit/contract`). Imports vitest, so it is a
// separate entry point: importing `@failover/testkit` never loads a test runner.
import { randomBytes } from 'node:crypto';
import { readOptions } from '@failover/core';
import type { BlobStore } from '@failover/storage';
import { afterAll, beforeAll, describe } from 'vitest';
import { abortCases } from './cases/abort.js';
import { badInputCases } from './cases/bad-input.js';
import { copyCases } from './cases/copy.js';
import { deleteIfMatchCases } from './cases/delete-if-match.js';
import { ifMatchCases } from './cases/if-match.js';
import { invalidKeyCases } from './cases/invalid-keys.js';
import { keyCases } from './cases/keys.js';
import { listCases } from './cases/list.js';
import { md5Cases } from './cases/md5.js';
import { metadataCases } from './cases/metadata.js';
import { missingCases } from './cases/missing.js';
import { overwriteDeleteCases } from './cases/overwrite-delete.js';
import { preconditionCases } from './cases/preconditions.js';
import { rangeCases } from './cases/ranges.js';
import { roundTripCases } from './cases/round-trip.js';
import type { ContractContext, ResolvedContractOptions } from './context.js';
import { MiB } from './data.js';
import type { BlobStoreContractOptions, ContractFactory, ContractSubject } from './types.js';

export {
  INVALID_CONTENT_TYPES,
  INVALID_OPTIONS,
  INVALID_SIGNALS,
  INVALID_SIZES,
} from './cases/bad-input.js';
export { INVALID_IF_MATCH } from './cases/if-match.js';
export { INVALID_KEYS } from './cases/invalid-keys.js';
export { SPECIAL_KEYS } from './cases/keys.js';
export {
  type IoBoundsContractOptions,
  type IoBoundsFactory,
  type IoBoundsSubject,
  type IoBoundsTimeouts,
  type IoBoundsUploadPhases,
  ioBoundsContract,
} from './io-bounds/index.js';
export {
  type JournalContractOptions,
  type JournalFactory,
  type JournalSubject,
  journalContract,
} from './journal/index.js';
export type { BlobStoreContractOptions, ContractFactory, ContractSubject } from './types.js';

/**
 * Registers the BlobStore contract: the behaviour every store of the library (memory,
 * filesystem, S3, GCS, Azure Blob, multi-cloud) passes, as vitest tests under
 * `describe('BlobStore contract: <name>')`. Run it against your own adapter to check it behaves
 * like the others.
 *
 * `makeStore` is called once, in `beforeAll`, and returns the store (or `{ store, cleanup }`).
 * Every test writes under its own key prefix (`<keyPrefix><run id>/<n>-<test>/`), so the store may
 * be shared and even non-empty. After the last test the suite deletes every key it wrote (unless
 * `deleteKeys: false`), then calls `cleanup`.
 *
 * What it checks: bytes round-trip (0 B, 1 B, a 5 MiB buffer, and 20 MiB streams given as a Node
 * `Readable`, a web `ReadableStream` and an async iterable, compared by SHA-256); strings as
 * UTF-8; keys with spaces, `+`, `%`, `?#&=`, Unicode and emoji; content type and metadata (keys
 * lowercased, invalid metadata refused); ranges (clamped, past the end empty); missing keys (`null`,
 * `false`, `NotFoundError`); overwrite (new etag) and delete (idempotent); copy (bytes, type and
 * metadata carried; missing source); list (prefix, delimiter, pages, order); `ifNoneMatch: '*'` on
 * put and copy; `ifMatch` on put (the etag from `put`, `head`, `get` and `list` accepted, a stale one
 * or a missing object refused with `PreconditionFailedError`, of racing writes exactly one wins, bad
 * values and `ifMatch` with `ifNoneMatch` refused); `ifMatch` on delete (the etag from `put`, `head`,
 * `get` and `list` deletes; a stale one, also one from before a `setMetadata`, is refused with
 * `PreconditionFailedError` and the newer version kept; a missing object is not an error; of a
 * conditional delete and a conditional put racing on one etag exactly one happens; bad values
 * refused at once); aborts (rejection with `AbortedError` whose `cause` is the signal's reason, nothing
 * written, a read body destroyed); invalid keys (`InvalidKeyError`); bad arguments
 * (`InvalidArgumentError` naming the argument: content types with CRLF, NUL, non-ASCII or over 255
 * characters, a wrong `size`, `range: null`, options that are not an object, a `signal` that is not
 * an `AbortSignal`, a list prefix with a NUL); and the shape of every `BlobInfo`. Errors are recognised by `name` and `kind`, so a duplicate copy of the library in
 * `node_modules` does not break the checks.
 *
 * @example
 * // test/contract.test.ts of an adapter package
 * import { blobStoreContract } from '@failover/testkit/contract';
 * import { createMyStore } from '../src/index.js';
 *
 * blobStoreContract('my-store', async () => {
 *   const server = await startMyEmulator();
 *   return { store: createMyStore(server.client), cleanup: () => server.stop() };
 * });
 */
export function blobStoreContract(
  name: string,
  makeStore: ContractFactory,
  options: BlobStoreContractOptions = {},
): void {
  const resolved = resolveOptions(options);
  const runPrefix = `${resolved.keyPrefix}${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`;
  let subject: ContractSubject | undefined;
  let testCount = 0;

  const ctx: ContractContext = {
    options: resolved,
    store: () => {
      if (!subject) throw new Error('The contract store is not ready: makeStore failed or has not run');
      return subject.store;
    },
    prefix: (test) => `${runPrefix}${++testCount}-${test}/`,
  };

  describe(`BlobStore contract: ${name}`, () => {
    beforeAll(async () => {
      subject = toSubject(await makeStore());
    }, resolved.timeoutMs);

    afterAll(async () => {
      if (!subject) return;
      const { store, cleanup } = subject;
      try {
        if (resolved.deleteKeys) await deleteUnder(store, runPrefix);
      } finally {
        await cleanup?.();
      }
    }, resolved.timeoutMs);

    roundTripCases(ctx);
    keyCases(ctx);
    metadataCases(ctx);
    rangeCases(ctx);
    missingCases(ctx);
    overwriteDeleteCases(ctx);
    copyCases(ctx);
    listCases(ctx);
    preconditionCases(ctx);
    ifMatchCases(ctx);
    md5Cases(ctx);
    deleteIfMatchCases(ctx);
    abortCases(ctx);
    invalidKeyCases(ctx);
    badInputCases(ctx);
  });
}

function resolveOptions(options: BlobStoreContractOptions): ResolvedContractOptions {
  const r = readOptions(options);
  const resolved = {
    bufferBytes: r.int('bufferBytes', { min: 1, default: 5 * MiB }),
    largeObjectBytes: r.int('largeObjectBytes', { min: 1, default: 20 * MiB }),
    keyPrefix: r.string('keyPrefix', { allowEmpty: true, default: 'failover-contract/' }),
    timeoutMs: r.int('timeoutMs', { min: 1, default: 120_000 }),
    deleteKeys: r.bool('deleteKeys', { default: true }),
    ifMatch: r.bool('ifMatch', { default: true }),
  };
  r.done();
  return resolved;
}

function toSubject(value: ContractSubject | BlobStore): ContractSubject {
  if (isBlobStore(value)) return { store: value };
  if (value && typeof value === 'object' && isBlobStore((value as ContractSubject).store)) return value;
  throw new TypeError('makeStore must return a BlobStore or { store, cleanup? }');
}

function isBlobStore(value: unknown): value is BlobStore {
  const v = value as Partial<Record<keyof BlobStore, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.put === 'function' &&
    typeof v.get === 'function' &&
    typeof v.list === 'function' &&
    typeof v.delete === 'function'
  );
}

/** Deletes every object under `prefix`, a few at a time. */
async function deleteUnder(store: BlobStore, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const entry of store.list({ prefix })) if ('key' in entry) keys.push(entry.key);
  for (let i = 0; i < keys.length; i += 8) {
    await Promise.all(keys.slice(i, i + 8).map((key) => store.delete(key)));
  }
}
