import { createHash } from 'node:crypto';
import { type BlobStore, getBytes, isPrefixEntry, VERSION_KEY } from '@failover/storage';

/** One cloud's copy of a key: the SHA-256 of its bytes and its version (`undefined` if it has none). */
export interface CloudCopy {
  readonly sha256: string;
  readonly version: string | undefined;
}

/** Every cloud's copy of one key (`null`: the cloud lacks it). */
export interface KeyCopies {
  readonly key: string;
  readonly copies: Readonly<Record<string, CloudCopy | null>>;
  /** Every cloud holds the key, with the same bytes and the same version. */
  readonly identical: boolean;
}

/** The SHA-256 of some bytes, lowercase hex. */
export const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Reads every object under `prefix` from every cloud directly (each through its own store: no
 * failover, no journal) and compares the copies key by key.
 */
export async function compareClouds(clouds: readonly BlobStore[], prefix: string): Promise<KeyCopies[]> {
  const keys = new Set<string>();
  for (const cloud of clouds) {
    for await (const entry of cloud.list({ prefix })) if (!isPrefixEntry(entry)) keys.add(entry.key);
  }
  const result: KeyCopies[] = [];
  for (const key of [...keys].sort()) {
    const copies: Record<string, CloudCopy | null> = {};
    for (const cloud of clouds) {
      const info = await cloud.head(key);
      copies[cloud.name] =
        info === null
          ? null
          : { sha256: sha256Of(await getBytes(cloud, key)), version: info.metadata[VERSION_KEY] };
    }
    const all = Object.values(copies);
    const first = all[0];
    const identical = all.every(
      (c) =>
        c !== null &&
        first !== null &&
        first !== undefined &&
        c.sha256 === first.sha256 &&
        c.version === first.version,
    );
    result.push({ key, copies, identical });
  }
  return result;
}

/** One line describing a key's copies: `key: aws 3f2a9c01, gcp 9b1c0d22 (no version), azure missing`. */
export function describeCopies(k: KeyCopies): string {
  const parts = Object.entries(k.copies).map(([cloud, c]) => {
    if (c === null) return `${cloud} missing`;
    return `${cloud} ${c.sha256.slice(0, 8)}${c.version === undefined ? ' (no version)' : ''}`;
  });
  return `${k.key}: ${parts.join(', ')}`;
}
