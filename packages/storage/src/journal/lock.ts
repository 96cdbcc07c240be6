import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { hasCode } from '../fs/errors.js';
import { JournalLockedError } from './errors.js';

/** A held lock. */
export interface JournalLock {
  /** The lock file's path. */
  readonly path: string;
  /** Removes the lock file if it is still this holder's. Safe to call twice. */
  release(): Promise<void>;
}

/** What a lock file says about its holder. */
interface Holder {
  readonly raw: string;
  readonly pid?: number;
  readonly host?: string;
}

/** How many times the lock is tried when it is released or taken over meanwhile. */
const ATTEMPTS = 5;
/** An unreadable lock file (its writer died before writing it) is stale after this long. */
const UNREADABLE_STALE_MS = 10_000;

/**
 * Takes the lock file at `path`: a file holding the owner's pid, host and a random token, created
 * exclusively (a hard link of a complete temporary file, so the lock is never seen half written;
 * `wx` where hard links are not supported). When the file exists:
 * - its pid is alive on this host (or is this process: a second journal on the same directory),
 *   or it names another host whose processes cannot be checked: throws a `JournalLockedError`;
 * - its pid is dead: the stale lock is moved aside (rename to a unique name, then checked to be
 *   the very lock that was judged stale, and put back otherwise) and the lock is tried again, so
 *   processes taking over the same stale lock at once do not both win (except if yet another
 *   process creates the lock between a mistaken move and its undo: a window of microseconds).
 */
export async function acquireLock(path: string): Promise<JournalLock> {
  const token = randomBytes(12).toString('hex');
  const content = `${JSON.stringify({ pid: process.pid, host: hostname(), token, at: new Date().toISOString() })}\n`;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (await tryCreate(path, content, token)) return heldLock(path, content);
    const holder = await readHolder(path);
    if (holder === undefined) continue; // released meanwhile
    const verdict = await judge(path, holder);
    if (verdict !== 'stale') throw new JournalLockedError(path, holder, verdict);
    await moveAsideIfStill(path, holder.raw, token);
  }
  throw new JournalLockedError(path, {}, `the lock kept changing hands over ${ATTEMPTS} attempts`);
}

function heldLock(path: string, content: string): JournalLock {
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      const now = await readFile(path, 'utf8').catch(() => undefined);
      if (now === content) await unlink(path).catch(() => {});
    },
  };
}

/** Creates the lock file with `content`; false when it exists. */
async function tryCreate(path: string, content: string, token: string): Promise<boolean> {
  const temp = `${path}.${token}.tmp`;
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if (hasCode(err, 'EEXIST')) return false;
    if (!hasCode(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK')) throw err;
    return await createDirectly(path, content);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Where hard links are not supported: an exclusive create, then the content. */
async function createDirectly(path: string, content: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx');
  } catch (err) {
    if (hasCode(err, 'EEXIST')) return false;
    throw err;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readHolder(path: string): Promise<Holder | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(raw) as { pid?: unknown; host?: unknown };
    return {
      raw,
      ...(Number.isSafeInteger(parsed.pid) && (parsed.pid as number) > 0
        ? { pid: parsed.pid as number }
        : {}),
      ...(typeof parsed.host === 'string' ? { host: parsed.host } : {}),
    };
  } catch {
    return { raw };
  }
}

/** `'stale'`, or why the lock must be respected. */
async function judge(path: string, holder: Holder): Promise<string> {
  if (holder.pid === undefined) {
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    return age > UNREADABLE_STALE_MS ? 'stale' : 'the lock file is being written or unreadable';
  }
  if (holder.host !== undefined && holder.host !== hostname()) {
    return `held by pid ${holder.pid} on host ${JSON.stringify(holder.host)}, which cannot be checked from here`;
  }
  if (holder.pid === process.pid) return `held by this process (pid ${holder.pid}), by another journal`;
  try {
    process.kill(holder.pid, 0);
    return `held by live process ${holder.pid}`;
  } catch (err) {
    if (hasCode(err, 'ESRCH')) return 'stale';
    return `held by process ${holder.pid}, which exists`; // EPERM: alive, owned by another user
  }
}

/**
 * Removes the lock at `path` if it still is the stale one (`raw`): renames it to a unique name,
 * then checks what was moved. If another process took over meanwhile and its fresh lock was moved,
 * it is put back (unless yet another lock appeared, which then wins).
 */
async function moveAsideIfStill(path: string, raw: string, token: string): Promise<void> {
  const aside = `${path}.stale-${token}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== raw) {
    try {
      await link(aside, path);
    } catch (err) {
      if (!hasCode(err, 'EEXIST')) await rename(aside, path).catch(() => {});
    }
  }
  await unlink(aside).catch(() => {});
}
