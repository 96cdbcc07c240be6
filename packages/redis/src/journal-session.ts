import { type JournalEntry, JournalError } from '@failover/storage';
import { redisCaller } from './client.js';
import { PENDING_PAGE } from './journal-lua.js';
import type { ResolvedRedisJournalOptions } from './journal-options.js';
import { entryOfRecord, splitReply, splitStepReply } from './journal-records.js';
import { type LuaScript, ScriptRunner } from './scripts.js';

/**
 * How many entries one page of a whole read of the journal takes: a few milliseconds of the
 * server's time per page.
 */
const PENDING_PAGE_ENTRIES = 2000;

/**
 * What one Redis journal's calls share: the script runner over the application's client, the
 * fleet-wide backlog as last answered, whether the journal was closed, and the reads that go in
 * short steps. Internal to {@link createRedisJournal}'s methods.
 */
export class RedisJournalSession {
  readonly name: string;
  readonly options: ResolvedRedisJournalOptions;
  readonly scripts: ScriptRunner;
  /** The fleet-wide backlog as of the last call that answered it. */
  backlog = 0;
  closed = false;

  constructor(options: ResolvedRedisJournalOptions) {
    this.options = options;
    this.name = options.name;
    const makeError = (kind: JournalError['kind'], message: string, cause: unknown) =>
      new JournalError(kind, message, { cause, target: options.name });
    this.scripts = new ScriptRunner(
      redisCaller(options.client, options.timeoutMs, `Journal ${JSON.stringify(options.name)}`, makeError),
    );
  }

  /** Runs a call unless the journal was closed; a synchronous throw becomes a rejection. */
  whenOpen<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(this.error('unavailable', `Journal ${JSON.stringify(this.name)} is closed`));
    try {
      return run();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A {@link JournalError} of this journal. */
  error(kind: JournalError['kind'], message: string): JournalError {
    return new JournalError(kind, message, { target: this.name });
  }

  /** Checks a key argument of `method` (a non-empty string). */
  checkKey(method: string, key: unknown): asserts key is string {
    if (typeof key !== 'string' || key === '')
      throw this.error('invalid', `${method}: key must be a non-empty string`);
  }

  /** Runs a script over the journal's own keys. */
  run<T>(
    script: LuaScript,
    args: readonly string[],
    keys: readonly string[] = this.options.keys,
  ): Promise<T> {
    return this.scripts.run<T>(script, keys, args);
  }

  /** Keeps a backlog count a script answered (anything else leaves it); returns the backlog. */
  setBacklog(value: unknown): number {
    const n = Number(value);
    if (Number.isFinite(n)) this.backlog = Math.max(0, n);
    return this.backlog;
  }

  /** The entries of a reply that also carries the backlog. */
  async readEntries(reply: Promise<unknown>): Promise<JournalEntry[]> {
    const { backlog, records } = splitReply(await reply);
    this.setBacklog(backlog);
    return records.map((raw) => entryOfRecord(raw, this.name));
  }

  /**
   * A read in short steps, a script each: `args(from)` for the step that goes on from `from`
   * (`'0'` first), until a step answers `last` as where to go on. Each entry is named once, at its
   * last place (a step may name one again: an entry appended again under its id, a key HSCAN
   * returns twice).
   */
  async readSteps(
    script: LuaScript,
    args: (from: string) => string[],
    last: string,
  ): Promise<JournalEntry[]> {
    const byId = new Map<string, JournalEntry>();
    for (let from = '0'; ; ) {
      const step = splitStepReply(await this.run(script, args(from)));
      this.setBacklog(step.backlog);
      for (const raw of step.records) {
        const e = entryOfRecord(raw, this.name);
        byId.delete(e.id);
        byId.set(e.id, e);
      }
      if (step.next === last) return [...byId.values()];
      from = step.next;
    }
  }

  /**
   * Every pending entry, oldest first, read in pages of {@link PENDING_PAGE_ENTRIES} after the
   * last append sequence read (a page answers `''` after the last). An entry appended again under
   * its id meanwhile (a new sequence) is named once, at its later place; one resolved or
   * superseded after its page was read is named as it was then, as a lookup made a moment earlier
   * would have.
   */
  readPages(): Promise<JournalEntry[]> {
    return this.readSteps(PENDING_PAGE, (after) => [after, String(PENDING_PAGE_ENTRIES)], '');
  }
}
