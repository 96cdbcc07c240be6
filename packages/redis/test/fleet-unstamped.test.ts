import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createFileJournal, createMultiCloudStore, getBytes, SHA256_KEY } from '@failover/storage';
import { describe, expect, it, vi } from 'vitest';
import { switchable } from '../../storage/test/multi-helpers.js';
import { createRedisJournal, withLocalFallback } from '../src/index.js';
import { clientOf, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

const BODY = randomBytes(2 * 1024 * 1024 + 7);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Fleet soak seed 20261204 (a loaded CI run): instance 0 read a key while instance 1's streamed
 * put of it was in flight. AWS had taken the put, the other clouds not yet; its copy there carried
 * no hash yet (stamped after the write), no journal instance 0 could read held the hash, and no
 * other copy was stamped: the bytes a corrupting proxy damaged on their way were returned as good.
 * The writer now publishes the hash in its intent in the shared journal before any cloud gets the
 * body's last byte, and a reader that meets such a copy asks the journal again.
 */
describe("a fleet on Redis: another instance's streamed put, read while it is in flight", () => {
  it.each(['mirror', 'primary'] as const)(
    'a damaged copy of it is never returned, though the read looked at the journal before the body ended (%s)',
    async (writes) => {
      const redis = await redisServer();
      const prefix = `unstamped:${randomBytes(6).toString('hex')}`;
      const [aws, gcs, azure] = [switchable('aws'), switchable('gcs'), switchable('azure')];
      const open = async (name: string) => {
        const client = await clientOf('node-redis', redis.url);
        const dir = await mkdtemp(join(tmpdir(), `failover-unstamped-${name}-`));
        later(() => rm(dir, { recursive: true, force: true }));
        const store = createMultiCloudStore({
          targets: [aws, gcs, azure],
          journal: withLocalFallback(
            createRedisJournal({ client, prefix, timeoutMs: 2000 }),
            createFileJournal({ dir, fsync: false }),
          ),
          writes,
          spool: { memoryBytes: 0, dir },
          // Read whole before get answers: a bad copy moves the read on.
          reads: { bufferBytes: 4 * 1024 * 1024 },
          failover: { retry: { maxAttempts: 1 }, budget: false, breaker: { volumeThreshold: 100 } },
          amnesia: false,
          repair: { intervalMs: false, delayMs: false, onRecovery: false },
        });
        later(() => store.close());
        return store;
      };
      const writer = await open('writer');
      const reader = await open('reader');

      // Every cloud holds the writer's puts back: its body cannot end yet. AWS's answer to the
      // writer is held too, once its copy is stored: the write is in flight, its copy unstamped.
      let releaseAws: () => void = () => undefined;
      let releaseOthers: () => void = () => undefined;
      let answerAws: () => void = () => undefined;
      const awsHeld = new Promise<void>((r) => (releaseAws = r));
      const othersHeld = new Promise<void>((r) => (releaseOthers = r));
      const awsAnswer = new Promise<void>((r) => (answerAws = r));
      aws.interpose = () => awsHeld;
      gcs.interpose = () => othersHeld;
      azure.interpose = () => othersHeld;
      const awsPut = aws.put;
      aws.put = async (key, body, options) => {
        const info = await awsPut(key, body, options);
        await awsAnswer;
        return info;
      };
      const put = writer.put('k', Readable.from([BODY]), { size: BODY.length });
      // Its puts were sent ('primary': to AWS alone).
      const sent = writes === 'mirror' ? [1, 1, 1] : [1, undefined, undefined];
      await vi.waitFor(() => expect([aws, gcs, azure].map((t) => t.calls.put)).toEqual(sent));

      // The reader has looked at the journal (no hash there yet) when it asks AWS: AWS takes the
      // whole body meanwhile, and its copy goes bad (or the bytes to the reader are damaged).
      aws.beforeGet = async () => {
        releaseAws();
        await vi.waitFor(async () => expect(await aws.inner.head('k')).not.toBeNull(), { timeout: 10_000 });
        const onAws = (await aws.inner.head('k'))!;
        expect(onAws.metadata[SHA256_KEY]).toBe('journal');
        const damaged = Buffer.from(BODY);
        damaged[1000] = damaged[1000]! ^ 0xff;
        await aws.inner.put('k', damaged, { metadata: onAws.metadata });
      };
      const integrity: string[] = [];
      reader.on('integrityError', (e) => integrity.push(e.target));
      const read = await getBytes(reader, 'k').then(
        (got) => (got.equals(BODY) ? 'the body' : 'other bytes'),
        (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : 'error'),
      );
      expect(read).not.toBe('other bytes');
      expect(integrity, read).toEqual(['aws']);

      answerAws();
      releaseOthers();
      await put;
      if (writes === 'primary') return; // on AWS alone, damaged (repair is off)
      expect((await getBytes(reader, 'k')).equals(BODY)).toBe(true);
      expect((await gcs.inner.head('k'))?.metadata[SHA256_KEY]).toBe(sha256(BODY));
    },
  );
});
