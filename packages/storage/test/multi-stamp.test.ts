import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { getBytes, type SetMetadataOptions, SHA256_KEY } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { openMultiStore, threeClouds, useMultiStores } from './multi-fixtures.js';
import { sha256 } from './multi-helpers.js';

const { open } = useMultiStores();

const BODY = randomBytes(2 * 1024 * 1024 + 7);

describe('stamps after a streamed put', () => {
  it('the copies of one write are stamped at once, so the next write of the key waits for the slowest, not the sum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fo-stamp-'));
    const targets = threeClouds();
    const { store } = openMultiStore(open, targets, { writes: 'mirror', spool: { memoryBytes: 0, dir } });
    let inFlight = 0;
    let most = 0;
    for (const t of targets) {
      Object.assign(t, {
        setMetadata: async (key: string, metadata: Record<string, string>, o?: SetMetadataOptions) => {
          inFlight++;
          most = Math.max(most, inFlight);
          // A few turns of the event loop (no timing): long enough for stamps started together to meet.
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
          inFlight--;
          return t.inner.setMetadata!(key, metadata, o);
        },
      });
    }
    await store.put('k', Readable.from([BODY]), { size: BODY.length });
    // Waits for the stamps (they hold the key's lock): all three were in flight together.
    await store.put('k', 'next');
    expect(most).toBe(3);
    for (const t of targets) expect((await getBytes(t.inner, 'k')).toString()).toBe('next');
    expect((await targets[0]!.inner.head('k'))!.metadata[SHA256_KEY]).toBe(sha256('next'));
    expect(store.status().journal.backlog).toBe(0);
  });
});
