import { type JournalEntry, JournalError, type JournalHighWater } from '@failover/storage';

/** The fixed fields of an entry, as stored in a record's `e` (holders and missing live beside it). */
export function fixedFields(entry: JournalEntry): string {
  return JSON.stringify({
    id: entry.id,
    op: entry.op,
    key: entry.key,
    version: entry.version,
    sha256: entry.sha256,
    size: entry.size,
    at: entry.at,
    intent: entry.intent === true ? true : undefined,
    notBefore: entry.notBefore,
    degraded: entry.degraded === true ? true : undefined,
    provisional: entry.provisional === true ? true : undefined,
  });
}

/** A record read from Redis as a frozen {@link JournalEntry}. */
export function entryOfRecord(raw: unknown, journal: string): JournalEntry {
  try {
    const record = JSON.parse(String(raw)) as { e: string; h: unknown; m: unknown };
    const fixed = JSON.parse(record.e) as Omit<JournalEntry, 'holders' | 'missing'>;
    const out: JournalEntry = {
      id: fixed.id,
      op: fixed.op,
      key: fixed.key,
      version: fixed.version,
      ...(fixed.sha256 === undefined ? {} : { sha256: fixed.sha256 }),
      ...(fixed.size === undefined ? {} : { size: fixed.size }),
      holders: Object.freeze(targets(record.h)),
      missing: Object.freeze(targets(record.m)),
      at: fixed.at,
      ...(fixed.intent === true ? { intent: true } : {}),
      ...(typeof fixed.notBefore === 'number' ? { notBefore: fixed.notBefore } : {}),
      ...(fixed.degraded === true ? { degraded: true } : {}),
      ...(fixed.provisional === true ? { provisional: true } : {}),
    };
    return Object.freeze(out);
  } catch (err) {
    throw new JournalError('invalid', `Journal ${JSON.stringify(journal)} holds a record it cannot read`, {
      cause: err,
      target: journal,
    });
  }
}

/** A key's high-water mark read from Redis (`{"v": version, "e": entry JSON}`). */
export function highWaterOfRecord(raw: unknown, journal: string): JournalHighWater {
  try {
    // `a`: the newest version recorded for the key that is not an intent (the append script's).
    const record = JSON.parse(String(raw)) as { e: string; a?: unknown };
    const fixed = JSON.parse(record.e) as JournalHighWater;
    const recorded = fixed.intent === true && typeof record.a === 'string' ? record.a : undefined;
    return Object.freeze({
      id: fixed.id,
      op: fixed.op,
      version: fixed.version,
      ...(fixed.sha256 === undefined ? {} : { sha256: fixed.sha256 }),
      ...(fixed.size === undefined ? {} : { size: fixed.size }),
      ...(fixed.intent === true ? { intent: true } : {}),
      ...(recorded === undefined ? {} : { recorded }),
    });
  } catch (err) {
    throw new JournalError('invalid', `Journal ${JSON.stringify(journal)} holds a mark it cannot read`, {
      cause: err,
      target: journal,
    });
  }
}

/** Lua's cjson writes an empty array as `{}`. */
function targets(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** `[backlog, record...]` as a script returns it. */
export function splitReply(reply: unknown): { backlog: number; records: unknown[] } {
  const list = Array.isArray(reply) ? reply : [];
  return { backlog: Number(list[0] ?? 0), records: list.slice(1) };
}

/** `[backlog, next, record...]` as one step of a stepped read returns it (`next`: where to go on). */
export function splitStepReply(reply: unknown): { backlog: number; next: string; records: unknown[] } {
  const { backlog, records } = splitReply(reply);
  return { backlog, next: String(records[0] ?? ''), records: records.slice(1) };
}
