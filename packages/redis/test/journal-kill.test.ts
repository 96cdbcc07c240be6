import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRedisJournal } from '../src/index.js';
import { CLIENT_KINDS, type ClientKind, clientOf, later, redisServer, useCleanups } from './redis-helpers.js';

useCleanups();

const CHILD = fileURLToPath(new URL('./journal-writer-child.ts', import.meta.url));

/** Starts a writer process; `acked` collects the ids it acknowledged. */
function writer(
  url: string,
  prefix: string,
  kind: ClientKind,
): { child: ChildProcess; acked: string[]; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, prefix, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: string[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    buffered += text;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('e')) acked.push(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  later(() => {
    child.kill('SIGKILL');
    return exited;
  });
  return { child, acked, exited };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The newest acknowledged version per key: what must still be pending for AWS. */
function newestPerKey(acked: readonly string[]): Map<string, string> {
  const newest = new Map<string, string>();
  for (const id of acked) {
    const i = Number(id.slice(1));
    newest.set(`photos/${i % 300}.jpg`, String(i).padStart(8, '0'));
  }
  return newest;
}

describe.each(CLIENT_KINDS)('Redis journal under kills (%s)', (kind) => {
  const client = (url: string) => clientOf(kind, url);

  it('a writer instance SIGKILLed mid-stream loses no acknowledged entry; another instance repairs its backlog', async () => {
    const redis = await redisServer();
    const prefix = `kill:${randomBytes(6).toString('hex')}`;
    const w = writer(redis.url, prefix, kind);
    await until(() => w.acked.length >= 600);
    w.child.kill('SIGKILL');
    await w.exited;
    const other = createRedisJournal({ client: await client(redis.url), prefix, instanceId: 'repairer' });
    const pending = await other.pending();
    const byKey = new Map(pending.map((e) => [e.key, e.version]));
    // Every key's newest acknowledged version (or a newer one, written after the last ack we read) is pending.
    for (const [key, version] of newestPerKey(w.acked)) {
      expect((byKey.get(key) ?? '') >= version, key).toBe(true);
    }
    // Superseding left one entry per key.
    expect(pending.length).toBe(byKey.size);
    // Repair it all under leases; nothing is left.
    const keys = pending.map((e) => e.key);
    expect(await other.lease(keys)).toEqual(keys);
    for (const e of pending) await other.resolve(e.id, 'aws');
    await other.release(keys);
    expect(await other.pending()).toEqual([]);
    expect(await other.refreshBacklog()).toBe(0);
  });

  it('with appendfsync always, SIGKILL of Redis mid-stream loses no acknowledged entry', async () => {
    const redis = await redisServer({ persistence: 'aof-always' });
    const prefix = `kill:${randomBytes(6).toString('hex')}`;
    const w = writer(redis.url, prefix, kind);
    await until(() => w.acked.length >= 300);
    await redis.kill();
    const ackedBeforeKill = [...w.acked];
    w.child.kill('SIGKILL');
    await w.exited;
    await redis.restart();
    const after = createRedisJournal({ client: await client(redis.url), prefix });
    const byKey = new Map((await after.pending()).map((e) => [e.key, e.version]));
    for (const [key, version] of newestPerKey(ackedBeforeKill)) {
      expect((byKey.get(key) ?? '') >= version, key).toBe(true);
    }
  });
});
