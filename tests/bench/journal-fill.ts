import type { Journal } from '@failover/storage';

/**
 * Appends `n` pending puts to `journal`, 1,000 at a time: 256-byte objects under 5,000 "user"
 * folders, held by two targets and missing on a third, versions in append order (the shape of a
 * long outage's backlog, for the journal benches).
 */
export async function fillJournal(journal: Journal, n: number): Promise<void> {
  for (let b = 0; b < n; b += 1000) {
    const appends: Promise<void>[] = [];
    for (let i = b; i < Math.min(n, b + 1000); i++) {
      const key = `uploads/user-${i % 5000}/object-${i}.bin`;
      const version = `0000018c${(1e12 + i).toString(16)}-00000-wabcdef`;
      appends.push(
        journal.append({
          id: `${version}:${key}`,
          op: 'put',
          key,
          version,
          sha256: 'a'.repeat(63) + (i % 10),
          size: 256,
          holders: ['gcs', 'azure'],
          missing: ['s3'],
          at: Date.now(),
        }),
      );
    }
    await Promise.all(appends);
  }
}
