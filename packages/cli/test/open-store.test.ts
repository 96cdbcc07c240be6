import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BlobStore,
  createFileJournal,
  createMemoryStore,
  createMultiCloudStore,
} from '@failover/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/config/open-store.js';

// A command opens a store beside the application's, with a journal of its own (another file
// journal, or the default one under the directory it runs in): the journal-id check is the
// application's, so a command must neither report its journal as a reset nor write its id.

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  delete (globalThis as { failoverTestStores?: BlobStore[] }).failoverTestStores;
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'failover-cli-open-'));
  dirs.push(dir);
  return dir;
}

/** The journal id the epoch markers carry, per target. */
async function markerJournals(targets: BlobStore[]): Promise<(string | undefined)[]> {
  return Promise.all(targets.map(async (t) => (await t.head('_failover/epoch'))?.metadata.fo_journal));
}

describe('openStore', () => {
  it('a command does not check its journal against the markers: no reset, the markers keep the application’s id', async () => {
    const targets = ['aws', 'gcp', 'azure'].map((name) => createMemoryStore({ name }));
    const app = createMultiCloudStore({ targets, journal: createFileJournal({ dir: await tempDir() }) });
    await app.put('k', 'v');
    await app.repair(); // the markers are established (and carry the journal's id) by now
    const appJournals = await markerJournals(targets);
    expect(appJournals[0]).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(new Set(appJournals).size).toBe(1);

    (globalThis as { failoverTestStores?: BlobStore[] }).failoverTestStores = targets;
    const { store } = await openStore({
      command: 'status',
      configPath: join(import.meta.dirname, 'fixtures', 'shared-stores.config.mjs'),
      cwd: process.cwd(),
      env: { FAILOVER_TEST_JOURNAL_DIR: await tempDir() },
    });
    const resets: unknown[] = [];
    store.on('journalReset', (e) => resets.push(e));
    await store.repair();
    await store.close();
    await app.close();
    expect(resets).toEqual([]);
    expect(store.status().counts.journalResets).toBe(0);
    expect(await markerJournals(targets)).toEqual(appJournals);
  });
});
