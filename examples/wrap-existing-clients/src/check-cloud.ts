import { type BlobStore, getBytes, VERSION_KEY } from '@failover/storage';
import type { Written } from './invoices.js';

/**
 * Checks what one cloud holds, read straight through its own store (no failover, no journal):
 * every key of `expected` holds exactly the acknowledged bytes and version, or, for `null`, is
 * absent. Returns one line per key for the narration and the problems found.
 */
export async function checkCloud(
  store: BlobStore,
  expected: ReadonlyMap<string, Written | null>,
): Promise<{ readonly lines: string[]; readonly problems: string[] }> {
  const lines: string[] = [];
  const problems: string[] = [];
  for (const [key, want] of expected) {
    const info = await store.head(key);
    if (want === null) {
      if (info === null) lines.push(`${key}: deleted, as acknowledged`);
      else problems.push(`${store.name} still holds ${key}, deleted during the outage`);
      continue;
    }
    if (info === null) {
      problems.push(`${store.name} lacks ${key}`);
      continue;
    }
    const version = info.metadata[VERSION_KEY];
    const bytes = await getBytes(store, key);
    if (version !== want.version || !bytes.equals(want.bytes)) {
      problems.push(`${store.name} holds another version of ${key}: ${version} instead of ${want.version}`);
      continue;
    }
    lines.push(`${key}: version ${version}, ${bytes.length} bytes, as acknowledged`);
  }
  return { lines, problems };
}
