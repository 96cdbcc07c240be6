import { createHash } from 'node:crypto';
import { getText, IntegrityError, type MultiCloudEvents, readAll } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { degradedCopyDamaged, expectReadPastDamagedAws, plant, useMultiStores } from './multi-fixtures.js';
import { copiesOf } from './multi-helpers.js';

/**
 * Some clouds' stores check what they read against the provider's own checksum first (the GCS
 * adapter against GCS's MD5 or CRC32C, the AWS SDK against an S3 response checksum) and fail the
 * read with a `ContentMismatchError`. A damaged copy must be treated the same on every cloud: the
 * read goes on to an intact copy, the copy is reported (`integrityError`) and queued for repair,
 * and the cloud's breaker counts nothing (the copy is bad, not the cloud). Until stop 52 such a
 * copy was an availability failure of its cloud: never reported, never repaired, counted against
 * the cloud. Here aws's store checks an MD5 it recorded at the put (`checksOwnMd5`), and its copy
 * is changed behind its back.
 */
const { setup } = useMultiStores({ writes: 'mirror' });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A store whose first cloud checks its own MD5 (whole below `wholeBelow` bytes), with a copy damaged there. */
async function damagedOnAws(wholeBelow: number, text: string, options = {}) {
  const { store, targets } = setup(options);
  targets[0]!.checksOwnMd5 = wholeBelow;
  const info = await store.put('k', text);
  await plant(targets[0]!, 'k', text.toUpperCase(), info.version!, info.checksums.sha256);
  const integrity: MultiCloudEvents['integrityError'][] = [];
  store.on('integrityError', (e) => integrity.push(e));
  const awsFailures = () => Object.values(store.status().targets[0]!.failures).reduce((sum, n) => sum + n, 0);
  return { store, targets, info, integrity, awsFailures };
}

describe("a copy its cloud's own checksum rejects (a ContentMismatchError)", () => {
  it('before get answers (a small object): the read goes on, the copy is reported and repaired, the cloud is not blamed', async () => {
    const { store, targets, info, integrity, awsFailures } = await damagedOnAws(1024, 'the real bytes');
    await expectReadPastDamagedAws(store, 'k', 'the real bytes', info, integrity);
    // The provider's checksum is what found it: the bytes were not kept, so that is `actual`.
    expect(integrity[0]!.actual).toMatch(/^md5:/);
    expect(awsFailures()).toBe(0);
    expect(store.status().journal.backlog).toBe(1);
    await store.repair();
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(Array(3).fill('the real bytes'));
    const again = await store.get('k');
    expect(again.info.target).toBe('aws');
    expect((await readAll(again.body)).toString()).toBe('the real bytes');
  });

  it("at the end of a streamed body: the stream fails with the store's IntegrityError, the copy is queued, the cloud is not blamed", async () => {
    const text = 'x'.repeat(1000);
    const { store, integrity, awsFailures } = await damagedOnAws(64, text, { reads: { bufferBytes: 16 } });
    const { info, body } = await store.get('k');
    expect(info.target).toBe('aws');
    const err = await readAll(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    // Every byte passed: the store's own SHA-256 of them, not the provider's checksum.
    expect(err).toMatchObject({
      key: 'k',
      target: 'aws',
      expected: sha256(text),
      actual: sha256(text.toUpperCase()),
    });
    expect(integrity).toHaveLength(1);
    expect(awsFailures()).toBe(0);
    expect(store.status().journal.backlog).toBe(1);
    await store.repair();
    expect((await readAll((await store.get('k')).body)).toString()).toBe(text);
  });

  it("bytes that fail their store's checksum but match the SHA-256 are the object's: served, nothing reported", async () => {
    const { store, targets } = setup();
    const info = await store.put('k', 'the real bytes');
    // aws's store records the MD5 of other bytes (a write through it), then the right ones land
    // behind its back: its checksum is the wrong one, and fails a read at its end.
    targets[0]!.checksOwnMd5 = 0;
    await targets[0]!.put('k', 'other bytes');
    await plant(targets[0]!, 'k', 'the real bytes', info.version!, info.checksums.sha256);
    const { info: got, body } = await store.get('k');
    expect(got.target).toBe('aws');
    expect((await readAll(body)).toString()).toBe('the real bytes');
    expect(store.status().counts.integrityErrors).toBe(0);
  });

  it('the only copy of a degraded write, rejected so, is neither lost nor copied: repair waits until it reads whole', async () => {
    const { store, lost, texts, heal } = await degradedCopyDamaged(setup, { checksOwnMd5: 1024 });
    const report = await store.repair();
    expect(report.lost).toBe(0);
    expect(store.status().counts.integrityErrors).toBeGreaterThan(0);
    expect(await texts()).toEqual(['damaged bytes', undefined, undefined]);
    await heal();
    await store.repair();
    await store.repair();
    expect(await texts()).toEqual(Array(3).fill('the only copy'));
    expect(await getText(store, 'k')).toBe('the only copy');
    expect(lost).toEqual([]);
  });

  it('reconcile with verify counts it corrupt and writes the intact copy over it', async () => {
    const { store, targets, awsFailures } = await damagedOnAws(1024, 'the real bytes');
    const report = await store.reconcile({ verify: true });
    expect(report.corrupt).toBe(1);
    expect(report.errors).toEqual([]);
    expect(awsFailures()).toBe(0);
    expect((await copiesOf(targets, 'k')).map((c) => c?.text)).toEqual(Array(3).fill('the real bytes'));
  });
});
