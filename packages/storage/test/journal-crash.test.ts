import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFileJournal, type FileJournal } from '@failover/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const childScript = fileURLToPath(new URL('./journal-child.ts', import.meta.url));

let parent: string;
let child: ChildProcess | undefined;
let journal: FileJournal | undefined;

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'failover-journal-crash-'));
});

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await journal?.close();
  journal = undefined;
  await rm(parent, { recursive: true, force: true });
});

interface Acknowledged {
  /** Unique-key appends: id -> whether its resolve of `gcs` was acknowledged. */
  readonly unique: Map<string, boolean>;
  /** Hot keys: key -> newest acknowledged version. */
  readonly hot: Map<string, string>;
  readonly compactions: number;
  readonly appends: number;
}

/**
 * Runs the child on `dir` until it acknowledged `minAppends` appends and finished `minCompactions`
 * compactions, SIGKILLs it, and returns what it had acknowledged (complete output lines only).
 */
async function runAndKill(dir: string, minAppends: number, minCompactions: number): Promise<Acknowledged> {
  const proc = spawn(process.execPath, ['--import', 'tsx', childScript, dir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  let err = '';
  let appends = 0;
  let compactions = 0;
  proc.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      appends += text.split('\nA ').length - 1;
      compactions += text.split('C\n').length - 1;
      if (appends >= minAppends && compactions >= minCompactions && proc.signalCode === null) {
        proc.kill('SIGKILL'); // mid-run: appends, resolves and maybe a compaction are in flight
        resolve();
      }
    });
    proc.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited early (${code ?? signal}): ${err}`));
    });
  });
  await exited;
  expect(proc.signalCode).toBe('SIGKILL');
  const complete = out.slice(0, out.lastIndexOf('\n') + 1).split('\n');
  const unique = new Map<string, boolean>();
  const hot = new Map<string, string>();
  let acked = 0;
  let compacted = 0;
  for (const line of complete) {
    const [tag, id, keyOrTarget, version] = line.split(' ');
    if (tag === 'A') {
      acked++;
      if (id!.startsWith('u')) unique.set(id!, false);
      else if ((hot.get(keyOrTarget!) ?? '') < version!) hot.set(keyOrTarget!, version!);
    } else if (tag === 'R') {
      unique.set(id!, true);
    } else if (tag === 'C') {
      compacted++;
    }
  }
  return { unique, hot, compactions: compacted, appends: acked };
}

describe('file journal: a process killed mid-run', () => {
  it('a new journal sees every entry the killed process acknowledged', { timeout: 60_000 }, async () => {
    const dir = join(parent, 'journal');
    const acked = await runAndKill(dir, 1500, 2);
    expect(acked.appends).toBeGreaterThanOrEqual(1500);
    expect(acked.compactions).toBeGreaterThanOrEqual(2);

    journal = createFileJournal({ dir });
    await journal.open(); // the dead child's lock is stale: taken over
    const pending = await journal.pending();
    const byId = new Map(pending.map((e) => [e.id, e]));

    for (const [id, resolved] of acked.unique) {
      const e = byId.get(id);
      expect(e, `acknowledged entry ${id}`).toBeDefined();
      expect(e!.missing).toContain('azure');
      if (resolved) expect(e!.missing).not.toContain('gcs');
    }
    for (const [key, version] of acked.hot) {
      const forKey = pending.filter((e) => e.key === key);
      expect(forKey, `hot key ${key}`).toHaveLength(1); // older versions superseded
      expect(forKey[0]!.version >= version, `${key}: ${forKey[0]!.version} >= ${version}`).toBe(true);
    }
    expect(journal.backlog()).toBe(pending.reduce((n, e) => n + e.missing.length, 0));

    // The journal goes on working on the recovered file.
    await journal.append({
      id: 'after',
      op: 'put',
      key: 'k',
      version: 'v',
      holders: ['a'],
      missing: ['b'],
      at: 1,
    });
    await journal.close();
    journal = createFileJournal({ dir });
    expect((await journal.pending()).length).toBe(pending.length + 1);
  });

  it('survives being killed again and again on the same directory', { timeout: 60_000 }, async () => {
    const dir = join(parent, 'journal');
    for (let round = 0; round < 3; round++) {
      const acked = await runAndKill(dir, 300, 0);
      expect(acked.unique.size).toBeGreaterThan(0);
      // Each round reuses the ids (the counter restarts): check the latest round's entries now.
      journal = createFileJournal({ dir });
      const byId = new Map((await journal.pending()).map((e) => [e.id, e]));
      for (const [id, resolved] of acked.unique) {
        expect(byId.get(id), `round ${round}: ${id}`).toBeDefined();
        if (resolved) expect(byId.get(id)!.missing).toEqual(['azure']);
      }
      await journal.close();
      journal = undefined;
    }
  });
});
