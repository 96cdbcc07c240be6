import { spawnSync } from 'node:child_process';
import {
  appendFile,
  type FileHandle,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '@failover/core';
import {
  createFileJournal,
  type FileJournal,
  type FileJournalEvents,
  type FileJournalOptions,
  type JournalEntry,
  JournalError,
  JournalLockedError,
} from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

let parent: string;
let dir: string;
let file: string;
const journals: FileJournal[] = [];

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'failover-journal-file-'));
  dir = join(parent, 'nested', 'journal');
  file = join(dir, 'journal.jsonl');
});

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const j of journals.splice(0)) await j.close();
  await rm(parent, { recursive: true, force: true });
});

function journalAt(options: Partial<FileJournalOptions> = {}): FileJournal {
  const j = createFileJournal({ dir, ...options });
  journals.push(j);
  return j;
}

function entry(id: string, over: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id,
    op: 'put',
    key: `key-${id}`,
    version: 'v1',
    holders: ['aws'],
    missing: ['gcs'],
    at: 1,
    ...over,
  };
}

/** Closes `j` and opens a new journal on the same directory (a restart of the process). */
async function reopen(j: FileJournal, options: Partial<FileJournalOptions> = {}): Promise<FileJournal> {
  await j.close();
  const next = journalAt(options);
  await next.open();
  return next;
}

async function lines(): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
}

function collect<K extends keyof FileJournalEvents>(j: FileJournal, event: K): FileJournalEvents[K][] {
  const seen: FileJournalEvents[K][] = [];
  j.on(event, (payload) => seen.push(payload));
  return seen;
}

/** The prototype of Node's FileHandle, to inject filesystem faults into the journal's writes. */
async function fileHandlePrototype(): Promise<FileHandle> {
  const probe = await open(join(parent, 'probe'), 'w');
  await probe.close();
  return Object.getPrototypeOf(probe) as FileHandle;
}

describe('createFileJournal options', () => {
  it('throws an InvalidOptionError naming the option', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'options'],
      [{}, 'dir'],
      [{ dir: '' }, 'dir'],
      [{ dir: 'a\0b' }, 'dir'],
      [{ dir: 'x', compactAfterBytes: 10 }, 'compactAfterBytes'],
      [{ dir: 'x', compactAfterBytes: 1.5e3 + 0.5 }, 'compactAfterBytes'],
      [{ dir: 'x', compactAfterBytes: '4MB' }, 'compactAfterBytes'],
      [{ dir: 'x', fsync: 'yes' }, 'fsync'],
      [{ dir: 'x', name: '' }, 'name'],
      [{ dir: 'x', compactAfter: 4096 }, 'compactAfter'],
    ];
    for (const [options, option] of cases) {
      let err: unknown;
      try {
        createFileJournal(options as FileJournalOptions);
      } catch (e) {
        err = e;
      }
      expect(err, option).toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe(option);
      expect((err as InvalidOptionError).kind).toBe('invalid');
    }
  });

  it('words its errors like every other option', () => {
    const message = (options: unknown) => {
      try {
        createFileJournal(options as FileJournalOptions);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message(undefined)).toBe('Invalid option "options": must be an object, got undefined');
    expect(message({})).toBe('Invalid option "dir": is required (a non-empty directory path (without NUL))');
    expect(message({ dir: 'x', compactAfterBytes: 10 })).toBe(
      'Invalid option "compactAfterBytes": must be an integer of at least 1024, got 10',
    );
    expect(message({ dir: 'x', fsync: 'yes' })).toBe('Invalid option "fsync": must be a boolean, got "yes"');
    expect(message({ dir: 'x', compactAfter: 4096 })).toBe(
      'Invalid option "compactAfter": is not a known option (known: dir, compactAfterBytes, fsync, name)',
    );
  });

  it('touches nothing until it is used, and names itself after its directory', async () => {
    const j = journalAt();
    expect(j.name).toBe(`journal:${dir}`);
    expect(j.file).toBe(file);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await j.close();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('file format and durability', () => {
  it('creates the directory and writes checksummed JSON lines: a header, appends and resolves', async () => {
    const j = journalAt();
    await j.append(
      entry('e1', { key: 'photos/2025/a.jpg', sha256: 'f'.repeat(64), size: 3, missing: ['gcs', 'azure'] }),
    );
    await j.resolve('e1', 'gcs');
    const text = await lines();
    expect(text).toHaveLength(3);
    const records = text.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) expect(r.crc).toMatch(/^[0-9a-f]{8}$/);
    expect(records[0]).toMatchObject({ t: 'header', format: 1 });
    expect(records[1]).toMatchObject({
      t: 'append',
      e: { id: 'e1', key: 'photos/2025/a.jpg', size: 3, holders: ['aws'], missing: ['gcs', 'azure'] },
    });
    expect(records[2]).toMatchObject({ t: 'resolve', id: 'e1', target: 'gcs' });
    expect(j.stats()).toMatchObject({ appends: 1, resolves: 1, fileBytes: (await stat(file)).size });
  });

  it('a reopened journal sees every acknowledged append and resolve', async () => {
    let j = journalAt();
    for (let i = 0; i < 20; i++) await j.append(entry(`e${i}`, { missing: ['gcs', 'azure'] }));
    for (let i = 0; i < 20; i += 2) await j.resolve(`e${i}`, 'gcs');
    for (let i = 0; i < 20; i += 4) await j.resolve(`e${i}`, 'azure');
    const before = await j.pending();
    const backlog = j.backlog();
    j = await reopen(j);
    expect(j.backlog()).toBe(backlog);
    expect(await j.pending()).toEqual(before);
    expect(before).toHaveLength(15);
  });

  it('keeps keys, ids and targets with newlines, quotes and any Unicode intact', async () => {
    let j = journalAt();
    const odd = entry('id\n"quoted"\\', {
      key: 'dir/ünï\ncodé 🎉\u2028\t',
      holders: ['aws "east"'],
      missing: ['gcs\n1'],
    });
    await j.append(odd);
    expect(await lines()).toHaveLength(2);
    j = await reopen(j);
    expect(await j.pending()).toEqual([odd]);
  });

  it('opens explicitly once, reports the replay, and a reopen gets the same result', async () => {
    let j = journalAt();
    await j.append(entry('e1'));
    await j.close();
    j = journalAt();
    const opened = collect(j, 'opened');
    await Promise.all([j.open(), j.open(), j.pending()]);
    expect(opened).toEqual([{ journal: j.name, file, lines: 2, pending: 1, backlog: 1 }]);
  });

  it('with fsync: false never syncs, and still keeps what it wrote across a reopen', async () => {
    let j = journalAt({ fsync: false });
    await Promise.all([j.append(entry('e1')), j.append(entry('e2'))]);
    expect(j.stats().syncs).toBe(0);
    j = await reopen(j, { fsync: false });
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1', 'e2']);
  });
});

describe('group commit', () => {
  it('makes many concurrent appends durable with fewer writes and fsyncs, in call order', async () => {
    let j = journalAt();
    await j.open();
    const ids = Array.from({ length: 300 }, (_, i) => `e${i}`);
    await Promise.all(ids.map((id) => j.append(entry(id))));
    const { appends, writes, syncs } = j.stats();
    expect(appends).toBe(300);
    expect(syncs).toBeLessThan(300);
    expect(writes).toBeLessThan(300);
    expect(syncs).toBe(writes);
    expect((await j.pending()).map((e) => e.id)).toEqual(ids);
    j = await reopen(j);
    expect((await j.pending()).map((e) => e.id)).toEqual(ids);
  });

  it("an intent (appendIntent) is written at once and made durable by the next batch's fsync, or by its own soon after", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // the fallback fsync's delay
    let j = journalAt();
    await j.open();
    const before = j.stats().syncs;
    const first = j.appendIntent(entry('i1', { intent: true, holders: [], missing: ['b', 'c'] }));
    await first.written;
    expect((await j.pending()).map((e) => e.id)).toEqual(['i1']); // in effect once written
    // The record that follows (its write's own, usually) gets one fsync for both.
    await j.append(entry('i1', { holders: ['b'], missing: ['c'] }));
    await first.durable;
    expect(j.stats().syncs - before).toBe(1);
    // With nothing after it, an intent gets its own fsync a moment later.
    const alone = j.appendIntent(entry('i2', { intent: true, holders: [], missing: ['b'] }));
    await alone.written;
    await vi.advanceTimersByTimeAsync(20);
    await alone.durable;
    expect(j.stats().syncs - before).toBe(2);
    // Closing syncs what is written.
    const last = j.appendIntent(entry('i3', { intent: true, holders: [], missing: ['b'] }));
    await last.written;
    j = await reopen(j);
    await last.durable;
    expect((await j.pending()).map((e) => e.id)).toEqual(['i1', 'i2', 'i3']);
    vi.useRealTimers();
  });

  it('records submitted in one tick share one write and one fsync (an append and the resolves beside it)', async () => {
    const j = journalAt();
    await j.append(entry('e1'));
    await new Promise((r) => setImmediate(r)); // the writer is idle
    const before = j.stats();
    await Promise.all([j.append(entry('e2')), j.resolve('e1', 'gcs'), j.append(entry('e3'))]);
    const after = j.stats();
    expect(after.writes - before.writes).toBe(1);
    expect(after.syncs - before.syncs).toBe(1);
    expect((await j.pending()).map((e) => e.id)).toEqual(['e2', 'e3']);
  });

  it('acknowledges an append only after its fsync', async () => {
    const j = journalAt();
    await j.open();
    const proto = await fileHandlePrototype();
    const original = proto.datasync;
    let synced = false;
    vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
      await new Promise((r) => setTimeout(r, 20));
      await original.call(this);
      synced = true;
    });
    await j.append(entry('e1'));
    expect(synced).toBe(true);
  });
});

describe('I/O failures', () => {
  it('a failed write rejects the append, leaves no partial line, and the journal goes on', async () => {
    let j = journalAt();
    await j.append(entry('ok1'));
    const proto = await fileHandlePrototype();
    const original = proto.write as (this: FileHandle, ...args: unknown[]) => Promise<unknown>;
    vi.spyOn(proto, 'write').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
      const buffer = args[0];
      if (Buffer.isBuffer(buffer) && buffer.includes('fail-me')) {
        await original.call(this, buffer.subarray(0, 25)); // part of the line reaches the file
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return original.apply(this, args);
    } as typeof proto.write);
    const err = await j.append(entry('fail-me')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalError);
    expect(err).toMatchObject({ kind: 'unavailable', target: j.name });
    expect((err as Error).message).toContain('ENOSPC');
    expect((err as Error).cause).toMatchObject({ code: 'ENOSPC' });
    vi.restoreAllMocks();
    await j.append(entry('ok2'));
    expect((await j.pending()).map((e) => e.id)).toEqual(['ok1', 'ok2']);
    expect(await lines()).toHaveLength(3);
    j = await reopen(j);
    expect((await j.pending()).map((e) => e.id)).toEqual(['ok1', 'ok2']);
  });

  it('a failed fsync rejects the batch and breaks the journal until it is reopened', async () => {
    let j = journalAt();
    await j.append(entry('ok1'));
    const proto = await fileHandlePrototype();
    vi.spyOn(proto, 'datasync').mockRejectedValueOnce(
      Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }),
    );
    const results = await Promise.allSettled([j.append(entry('lost1')), j.append(entry('lost2'))]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ kind: 'unavailable' });
    }
    expect((await j.pending()).map((e) => e.id)).toEqual(['ok1']);
    const later = await j.append(entry('later')).catch((e: unknown) => e);
    expect(later).toBeInstanceOf(JournalError);
    expect((later as Error).message).toMatch(/broken/);
    await expect(j.compact()).rejects.toBeInstanceOf(JournalError);
    j = await reopen(j);
    await j.append(entry('after'));
    const ids = (await j.pending()).map((e) => e.id);
    expect(ids[0]).toBe('ok1');
    expect(ids).toContain('after');
    expect(ids).not.toContain('later');
  });

  it('an unreadable directory fails the first call with a typed error, not a crash', async () => {
    await mkdir(join(parent, 'nested'), { recursive: true });
    await writeFile(dir, 'a file where the directory should be');
    const j = journalAt();
    const err = await j.append(entry('e1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalError);
    expect(err).toMatchObject({ kind: 'unavailable', target: j.name });
    await expect(j.open()).rejects.toBeInstanceOf(JournalError);
  });
});

describe('crash recovery', () => {
  it('cuts off a torn last line (partial JSON without newline) and keeps the rest', async () => {
    let j = journalAt();
    for (const id of ['e1', 'e2', 'e3']) await j.append(entry(id));
    await j.close();
    const good = (await stat(file)).size;
    await appendFile(file, '{"t":"append","e":{"id":"e4","op":"put","key"');
    j = journalAt();
    const truncated = collect(j, 'truncated');
    const corrupt = collect(j, 'corrupt');
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    expect(truncated).toEqual([{ journal: j.name, file, line: 5, bytes: 45 }]);
    expect(corrupt).toEqual([]);
    expect((await stat(file)).size).toBe(good);
    await j.append(entry('e5'));
    j = await reopen(j);
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e5']);
    expect(j.stats().truncatedBytes).toBe(0);
  });

  it('loses only the torn record when the file is cut in the middle of its last line', async () => {
    let j = journalAt();
    for (const id of ['e1', 'e2', 'e3']) await j.append(entry(id));
    await j.close();
    await truncate(file, (await stat(file)).size - 10);
    j = journalAt();
    await j.open();
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(j.stats().truncatedBytes).toBeGreaterThan(0);
    expect((await readFile(file, 'utf8')).endsWith('\n')).toBe(true);
  });

  it('a file torn inside its header starts over empty', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(file, '{"t":"hea');
    const j = journalAt();
    await j.append(entry('e1'));
    expect(await lines()).toHaveLength(2);
    expect(JSON.parse((await lines())[0]!)).toMatchObject({ t: 'header' });
  });

  it('reports a corrupt line in the middle with its number and keeps the entries around it', async () => {
    let j = journalAt();
    for (const id of ['e1', 'e2', 'e3', 'e4']) await j.append(entry(id));
    await j.close();
    const text = await lines();
    text[2] = text[2]!.replace('key-e2', 'key-X2'); // a flipped byte: the checksum no longer matches
    text.splice(4, 0, 'not json at all');
    await writeFile(file, `${text.join('\n')}\n`);
    j = journalAt();
    const corrupt = collect(j, 'corrupt');
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1', 'e3', 'e4']);
    expect(corrupt).toHaveLength(2);
    expect(corrupt[0]).toMatchObject({ line: 3, file, journal: j.name });
    expect(corrupt[0]!.reason).toMatch(/checksum mismatch/);
    expect(corrupt[1]).toMatchObject({ line: 5 });
    expect(j.stats().corruptLines).toBe(2);
    await j.append(entry('e5'));
    await j.compact();
    j = await reopen(j);
    expect(j.stats().corruptLines).toBe(0);
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1', 'e3', 'e4', 'e5']);
  });

  it('warns through the process when a corrupt line is found and nobody listens', async () => {
    let j = journalAt();
    await j.append(entry('e1'));
    await j.close();
    await appendFile(file, 'garbage\n');
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      j = journalAt();
      await j.open();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('warning', onWarning);
    }
    const ours = warnings.find((w) => (w as { code?: string }).code === 'FAILOVER_JOURNAL_CORRUPT');
    expect(ours?.message).toMatch(/line 3/);
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1']);
  });

  it('refuses a file of a newer format, leaving it untouched', async () => {
    await mkdir(dir, { recursive: true });
    const j0 = journalAt();
    await j0.append(entry('e1'));
    await j0.close();
    const header = JSON.parse((await lines())[0]!) as Record<string, unknown>;
    expect(header.format).toBe(1);
    // A header line of format 2 with a valid checksum, written by the journal's own encoder rules.
    const { encodeRecord } = await import('../src/journal/records.js');
    const text = [encodeRecord({ t: 'header', format: 2 }).toString().trimEnd(), ...(await lines()).slice(1)];
    await writeFile(file, `${text.join('\n')}\npartial`);
    const before = await readFile(file);
    const j = journalAt();
    const err = await j.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalError);
    expect(err).toMatchObject({ kind: 'invalid' });
    expect((err as Error).message).toMatch(/format 2/);
    expect(await readFile(file)).toEqual(before);
    await expect(readFile(join(dir, 'journal.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('newestVersion', () => {
  it('a file never compacted (as every file before newestVersion) answers the newest of its appends', async () => {
    const j0 = journalAt();
    await j0.append(entry('e1', { version: '005' }));
    await j0.append(entry('e2', { key: 'other', version: '003' }));
    await j0.resolve('e1', 'gcs');
    const j = await reopen(j0);
    const header = JSON.parse((await lines())[0]!) as Record<string, unknown>;
    expect(header).not.toHaveProperty('newest');
    expect(await j.newestVersion()).toBe('005');
  });

  it("the compacted file's header keeps the newest version of the entries compaction left out", async () => {
    let j = journalAt();
    await j.append(entry('e1', { version: '009', holders: ['aws', 'gcs'], missing: [] }));
    await j.append(entry('e2', { version: '004' }));
    await j.resolve('e2', 'gcs');
    await j.compact();
    const records = (await lines()).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual([expect.objectContaining({ t: 'header', format: 1, newest: '009' })]);
    expect(await j.newestVersion()).toBe('009');
    j = await reopen(j);
    expect(await j.newestVersion()).toBe('009');
    // Compacted again by the reopened journal: still there.
    await j.append(entry('e3', { version: '007' }));
    await j.compact();
    j = await reopen(j);
    expect(await j.newestVersion()).toBe('009');
    expect((await j.pending()).map((e) => e.id)).toEqual(['e3']);
  });

  it('rejects once the journal is closed', async () => {
    const j = journalAt();
    await j.close();
    await expect(j.newestVersion()).rejects.toMatchObject({ kind: 'unavailable' });
  });
});

describe('journalId', () => {
  it('is made with the file, kept in its header line, carried over by compaction and reopen', async () => {
    let j = journalAt();
    const id = await j.journalId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse((await lines())[0]!)).toMatchObject({ t: 'header', format: 1, id });
    await j.append(entry('e1'));
    await j.compact();
    expect(JSON.parse((await lines())[0]!)).toMatchObject({ t: 'header', id });
    j = await reopen(j);
    expect(await j.journalId()).toBe(id);
  });

  it('a file an older version wrote (a header without id) has none until its next compaction writes one', async () => {
    const j0 = journalAt();
    await j0.append(entry('e1'));
    await j0.close();
    // The same file as an older version wrote it: the header without `id`.
    const { encodeRecord } = await import('../src/journal/records.js');
    const text = [encodeRecord({ t: 'header', format: 1 }).toString().trimEnd(), ...(await lines()).slice(1)];
    await writeFile(file, `${text.join('\n')}\n`);
    let j = journalAt();
    expect(await j.journalId()).toBeUndefined();
    expect((await j.pending()).map((e) => e.id)).toEqual(['e1']);
    await j.compact();
    const id = await j.journalId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    j = await reopen(j);
    expect(await j.journalId()).toBe(id);
  });

  it('a wiped directory gives a new journal with a new id', async () => {
    const j0 = journalAt();
    const before = await j0.journalId();
    await j0.close();
    await rm(dir, { recursive: true, force: true });
    const j = journalAt();
    expect(await j.journalId()).not.toBe(before);
    await j.close();
  });

  it('refuses a header with an invalid id (the line is reported corrupt)', async () => {
    const { decodeLine, encodeRecord } = await import('../src/journal/records.js');
    const line = encodeRecord({ t: 'header', format: 1, id: 'no spaces allowed' });
    expect(decodeLine(line.subarray(0, line.length - 1))).toEqual({
      error: 'header with an invalid journal id',
    });
  });
});

describe('compaction', () => {
  it('compact() rewrites the file with only the pending entries, as fresh appends', async () => {
    let j = journalAt();
    for (let i = 0; i < 100; i++) {
      await j.append(entry(`e${i}`, { key: `k${i % 10}`, version: String(i).padStart(3, '0') }));
    }
    await j.resolve('e95', 'gcs');
    const compacted = collect(j, 'compacted');
    const sizeBefore = (await stat(file)).size;
    const pending = await j.pending();
    expect(pending).toHaveLength(9);
    await j.compact();
    const sizeAfter = (await stat(file)).size;
    expect(sizeAfter).toBeLessThan(sizeBefore / 5);
    expect(j.stats()).toMatchObject({ compactions: 1, fileBytes: sizeAfter });
    expect(compacted).toEqual([
      { journal: j.name, bytesBefore: sizeBefore, bytesAfter: sizeAfter, entries: 9 },
    ]);
    const records = (await lines()).map((l) => JSON.parse(l) as { t: string; e?: JournalEntry });
    expect(records.map((r) => r.t)).toEqual(['header', ...Array(9).fill('append')]);
    expect(records.slice(1).map((r) => r.e?.id)).toEqual(pending.map((e) => e.id));
    expect(await j.pending()).toEqual(pending);
    expect(await readdir(dir)).toEqual(['journal.jsonl', 'journal.lock']);
    await j.append(entry('after'));
    j = await reopen(j);
    expect(await j.pending()).toEqual([...pending, entry('after')]);
  });

  it('compacts by itself once the file passes compactAfterBytes and most of it is obsolete', async () => {
    let j = journalAt({ compactAfterBytes: 4096 });
    const compacted = collect(j, 'compacted');
    for (let i = 0; i < 200; i++) {
      await j.append(entry(`e${i}`, { key: `k${i % 5}`, version: String(i).padStart(4, '0') }));
    }
    await j.pending(); // lets a compaction started by the last append finish its steps
    await j.close();
    expect(compacted.length).toBeGreaterThan(0);
    for (const c of compacted) expect(c.bytesAfter).toBeLessThan(c.bytesBefore);
    expect((await stat(file)).size).toBeLessThan(4096 * 2);
    j = journalAt();
    const ids = (await j.pending()).map((e) => e.id);
    expect(ids).toEqual(['e195', 'e196', 'e197', 'e198', 'e199']);
  });

  it('does not compact over and over when the pending entries alone pass the threshold', async () => {
    const j = journalAt({ compactAfterBytes: 2048 });
    const compacted = collect(j, 'compacted');
    for (let i = 0; i < 100; i++) await j.append(entry(`e${i}`));
    await j.pending();
    expect(compacted).toEqual([]);
    expect(j.backlog()).toBe(100);
  });

  it('keeps appends and resolves made while a compaction runs', async () => {
    let j = journalAt({ compactAfterBytes: 1024 * 1024 });
    for (let i = 0; i < 300; i++)
      await j.append(entry(`old${i}`, { key: 'hot', version: String(i).padStart(4, '0') }));
    for (let i = 0; i < 50; i++) await j.append(entry(`keep${i}`, { missing: ['gcs', 'azure'] }));
    const during: Promise<void>[] = [];
    const burst = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        during.push(j.append(entry(`new${i}`)));
        if (i < 50) during.push(j.resolve(`keep${i}`, 'gcs'));
      }
    };
    // Calls land while the compaction writes its snapshot (its first catch-up copies them), and
    // while it reads the old file for that catch-up (its last copy, writes paused, carries them).
    const proto = await fileHandlePrototype();
    const write = proto.write as (this: FileHandle, ...args: unknown[]) => Promise<unknown>;
    const read = proto.read as (this: FileHandle, ...args: unknown[]) => Promise<unknown>;
    let snapshots = 0;
    let reads = 0;
    vi.spyOn(proto, 'write').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
      const buffer = args[0];
      if (Buffer.isBuffer(buffer) && buffer.includes('"t":"header"') && snapshots++ === 0) {
        burst(0, 30);
        await Promise.all(during);
      }
      return write.apply(this, args);
    } as typeof proto.write);
    vi.spyOn(proto, 'read').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
      if (reads++ === 0) {
        burst(30, 100);
        await Promise.all(during);
      }
      return read.apply(this, args);
    } as typeof proto.read);
    await j.compact();
    await Promise.all(during);
    expect([snapshots, reads > 0, during.length]).toEqual([1, true, 150]);
    vi.restoreAllMocks();
    const pending = await j.pending();
    expect(pending).toHaveLength(1 + 50 + 100);
    expect(pending.find((e) => e.id === 'keep40')?.missing).toEqual(['azure']);
    j = await reopen(j);
    expect(await j.pending()).toEqual(pending);
  });

  it('a crash between writing the new file and the rename loses nothing: the temporary file is ignored and removed', async () => {
    let j = journalAt();
    for (let i = 0; i < 10; i++) await j.append(entry(`e${i}`));
    await j.resolve('e3', 'gcs');
    const pending = await j.pending();
    await j.close();
    const original = await readFile(file);
    // What a compaction that died before its rename leaves: a complete new file under a temporary name...
    await writeFile(
      join(dir, 'journal.jsonl.compact-0123456789abcdef.tmp'),
      (await lines()).slice(0, 3).join('\n'),
    );
    // ...and one that died while still writing it.
    await writeFile(join(dir, 'journal.jsonl.compact-fedcba9876543210.tmp'), '{"t":"head');
    j = journalAt();
    expect(await j.pending()).toEqual(pending);
    expect(await readFile(file)).toEqual(original);
    expect((await readdir(dir)).sort()).toEqual(['journal.jsonl', 'journal.lock']);
  });

  it('a failed compaction leaves the journal as it was and reports the error', async () => {
    const j = journalAt();
    for (let i = 0; i < 10; i++) await j.append(entry(`e${i}`, { key: 'same', version: String(i) }));
    const before = await readFile(file);
    const proto = await fileHandlePrototype();
    const original = proto.write as (this: FileHandle, ...args: unknown[]) => Promise<unknown>;
    vi.spyOn(proto, 'write').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
      const buffer = args[0];
      if (Buffer.isBuffer(buffer) && buffer.includes('"t":"header"')) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return original.apply(this, args);
    } as typeof proto.write);
    const err = await j.compact().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalError);
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect((err as Error).cause).toMatchObject({ code: 'ENOSPC' });
    vi.restoreAllMocks();
    expect(await readFile(file)).toEqual(before);
    expect(await readdir(dir)).toEqual(['journal.jsonl', 'journal.lock']);
    await j.append(entry('after'));
    expect((await j.pending()).map((e) => e.id)).toEqual(['e9', 'after']);
  });
});

describe('single writer lock', () => {
  it('a second journal on the same directory fails clearly while the first is open', async () => {
    const first = journalAt();
    await first.append(entry('e1'));
    const second = journalAt();
    const err = await second.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalLockedError);
    expect(err).toMatchObject({
      kind: 'precondition',
      holderPid: process.pid,
      holderHost: hostname(),
      lockFile: join(dir, 'journal.lock'),
    });
    expect((err as Error).message).toMatch(/locked/);
    await expect(second.append(entry('e2'))).rejects.toBeInstanceOf(JournalLockedError);
    await first.close();
    await second.open();
    expect((await second.pending()).map((e) => e.id)).toEqual(['e1']);
  });

  it('takes over a stale lock left by a dead process', async () => {
    const child = spawnSync(process.execPath, ['-e', '']);
    const deadPid = child.pid!;
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'journal.lock'),
      `${JSON.stringify({ pid: deadPid, host: hostname(), token: 'old', at: new Date(0).toISOString() })}\n`,
    );
    const j = journalAt();
    await j.append(entry('e1'));
    const lock = JSON.parse(await readFile(join(dir, 'journal.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    expect((await readdir(dir)).sort()).toEqual(['journal.jsonl', 'journal.lock']);
    await j.close();
    await expect(stat(join(dir, 'journal.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('two journals taking over the same stale lock at once: exactly one wins', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'journal.lock'),
      JSON.stringify({ pid: deadPid, host: hostname(), token: 'old' }),
    );
    const results = await Promise.allSettled([journalAt().open(), journalAt().open(), journalAt().open()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(JournalLockedError);
    }
    const lock = JSON.parse(await readFile(join(dir, 'journal.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(process.pid);
    expect((await readdir(dir)).sort()).toEqual(['journal.jsonl', 'journal.lock']);
  });

  it('respects a lock held from another host, which it cannot check', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'journal.lock'),
      JSON.stringify({ pid: 1, host: 'some-other-host', token: 't' }),
    );
    const err = await journalAt()
      .open()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalLockedError);
    expect(err).toMatchObject({ holderHost: 'some-other-host', holderPid: 1 });
  });

  it('two journals racing for a free directory: exactly one wins', async () => {
    const a = journalAt();
    const b = journalAt();
    const results = await Promise.allSettled([a.open(), b.open()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(JournalLockedError);
  });
});
