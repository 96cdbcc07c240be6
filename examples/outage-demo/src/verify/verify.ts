import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobStore, isPrefixEntry, NotFoundError, readAll, SHA256_KEY } from '@failover/storage';
import type { Expected, Ledger } from '../workload/ledger.js';

/** Reads of one key before it counts as unreadable, and the first pause between them (doubling). */
const READ_ATTEMPTS = 5;
const READ_RETRY_MS = 250;

/** What verification found on one cloud. */
export interface CloudVerification {
  /** The store's target name. */
  readonly target: string;
  /** Objects read and compared byte for byte and by SHA-256 with what the application wrote. */
  readonly verified: number;
  /** Bytes compared. */
  readonly bytesVerified: number;
  /** Deleted keys found absent, as they should be. */
  readonly deletedAbsent: number;
  /** Objects whose SHA-256 stamped by the multi-cloud store (`fo_sha256` metadata) matched the bytes. */
  readonly stampedSha256: number;
  /** Keys whose last acknowledged write is missing here: lost data. */
  readonly missing: readonly string[];
  /** Keys whose content here is not what the application wrote. */
  readonly mismatched: readonly string[];
  /** Keys the application deleted (acknowledged) that are present here again. */
  readonly resurrected: readonly string[];
  /** Keys present here that the application never wrote. */
  readonly unexpected: readonly string[];
  /** Keys that could not be read (the check could not be made). */
  readonly unreadable: readonly string[];
}

/** What verification found everywhere. */
export interface Verification {
  /** Keys the application ever wrote. */
  readonly keys: number;
  /** Keys whose last write was an acknowledged put: they must be on every cloud. */
  readonly liveKeys: number;
  /** Keys whose last write was an acknowledged delete: they must be on no cloud. */
  readonly deletedKeys: number;
  /** Keys with a failed write after their last acknowledged one: either state is correct. */
  readonly uncertainKeys: number;
  readonly clouds: readonly CloudVerification[];
  /** Nothing missing, mismatched, resurrected, unexpected or unreadable on any cloud. */
  readonly ok: boolean;
}

/** Keys the library may keep for itself (drill canaries). */
const LIBRARY_PREFIX = '_failover/';

/**
 * Checks every cloud directly (each SDK store on its own, no failover, no fault proxy) against the
 * ledger: every key whose last write was acknowledged holds exactly those bytes (compared byte for
 * byte and by SHA-256) on every cloud; every acknowledged delete is absent everywhere; keys with a
 * failed last write hold one of the states it could have left; nothing else is stored.
 */
export async function verifyClouds(
  stores: readonly BlobStore[],
  ledger: Ledger,
  concurrency = 8,
): Promise<Verification> {
  const keys = ledger.keys();
  let liveKeys = 0;
  let deletedKeys = 0;
  let uncertainKeys = 0;
  for (const key of keys) {
    if (!ledger.isSettled(key)) uncertainKeys++;
    else if (ledger.acked(key) === null) deletedKeys++;
    else liveKeys++;
  }
  const clouds = await Promise.all(stores.map((store) => verifyOne(store, ledger, keys, concurrency)));
  const ok = clouds.every(
    (c) =>
      c.missing.length === 0 &&
      c.mismatched.length === 0 &&
      c.resurrected.length === 0 &&
      c.unexpected.length === 0 &&
      c.unreadable.length === 0,
  );
  return { keys: keys.length, liveKeys, deletedKeys, uncertainKeys, clouds, ok };
}

async function verifyOne(
  store: BlobStore,
  ledger: Ledger,
  keys: readonly string[],
  concurrency: number,
): Promise<CloudVerification> {
  let verified = 0;
  let bytesVerified = 0;
  let deletedAbsent = 0;
  let stampedSha256 = 0;
  const missing: string[] = [];
  const mismatched: string[] = [];
  const resurrected: string[] = [];
  const unreadable: string[] = [];

  const check = async (key: string): Promise<void> => {
    const allowed = ledger.allowed(key);
    let stored: { bytes: Buffer; metadata: Record<string, string> } | null | undefined;
    // A read that fails (a timeout on a machine too busy to serve it, a connection the SDK reset)
    // is asked again a few times before the key counts as unreadable: this checks what the cloud
    // holds, not how well it answers.
    for (let attempt = 0; stored === undefined; attempt++) {
      try {
        const { info, body } = await store.get(key);
        stored = { bytes: await readAll(body), metadata: info.metadata };
      } catch (err) {
        if (err instanceof NotFoundError || (err as { kind?: unknown }).kind === 'not_found') stored = null;
        else if (attempt + 1 >= READ_ATTEMPTS) {
          unreadable.push(key);
          return;
        } else await sleep(READ_RETRY_MS * 2 ** attempt);
      }
    }
    if (stored === null) {
      if (allowed.includes(null)) {
        if (ledger.acked(key) === null) deletedAbsent++;
        return;
      }
      missing.push(key);
      return;
    }
    const digest = createHash('sha256').update(stored.bytes).digest('hex');
    const match = allowed.find(
      (v): v is NonNullable<Expected> =>
        v !== null && v.size === stored.bytes.length && v.sha256 === digest && v.bytes().equals(stored.bytes),
    );
    if (match === undefined) {
      if (allowed.every((v) => v === null)) resurrected.push(key);
      else mismatched.push(key);
      return;
    }
    verified++;
    bytesVerified += stored.bytes.length;
    if (stored.metadata[SHA256_KEY] === digest) stampedSha256++;
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await check(key);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  const known = new Set(keys);
  const unexpected: string[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const entry of store.list()) {
        if (isPrefixEntry(entry)) continue;
        if (!known.has(entry.key) && !entry.key.startsWith(LIBRARY_PREFIX)) unexpected.push(entry.key);
      }
      break;
    } catch {
      unexpected.length = 0;
      if (attempt + 1 >= READ_ATTEMPTS) {
        unreadable.push('(listing)');
        break;
      }
      await sleep(READ_RETRY_MS * 2 ** attempt);
    }
  }
  return {
    target: store.name,
    verified,
    bytesVerified,
    deletedAbsent,
    stampedSha256,
    missing: missing.sort(),
    mismatched: mismatched.sort(),
    resurrected: resurrected.sort(),
    unexpected: unexpected.sort(),
    unreadable: unreadable.sort(),
  };
}
