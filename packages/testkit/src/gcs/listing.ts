import { compareUtf8 } from './names.js';
import { invalid } from './problem.js';

/** A parsed `objects.list` request. */
export interface ListQuery {
  prefix: string;
  delimiter: string | undefined;
  /** Items and prefixes together, per page (1..1000). */
  maxResults: number;
  pageToken: string | undefined;
  startOffset: string | undefined;
  endOffset: string | undefined;
  includeTrailingDelimiter: boolean;
  matchGlob: RegExp | undefined;
}

/** One page of a listing. */
export interface ListPage {
  names: string[];
  prefixes: string[];
  nextPageToken: string | undefined;
}

type Entry = { kind: 'item'; key: string; prefixFollows: boolean } | { kind: 'prefix'; key: string };

/** Where a page token resumes: after key `k`; `p`: skip that prefix; `i`: emit prefix `k` first. */
interface Resume {
  k: string;
  t: 'o' | 'p' | 'i';
}

/**
 * One page of a bucket listing, over object names already sorted in UTF-8 order. Items and
 * prefixes count together toward `maxResults`; a prefix is returned once across all pages (the
 * page token remembers a prefix it ended on and skips the names under it).
 */
export function listPage(sortedNames: readonly string[], query: ListQuery): ListPage {
  const resume = query.pageToken === undefined ? undefined : decodeToken(query.pageToken);
  const entries = walk(sortedNames, query, resume);
  const names: string[] = [];
  const prefixes: string[] = [];
  let last: Entry | undefined;
  while (names.length + prefixes.length < query.maxResults) {
    const next = entries.next();
    if (next.done) return { names, prefixes, nextPageToken: undefined };
    last = next.value;
    if (last.kind === 'item') names.push(last.key);
    else prefixes.push(last.key);
  }
  const more = !entries.next().done;
  if (!more || last === undefined) return { names, prefixes, nextPageToken: undefined };
  const t = last.kind === 'prefix' ? 'p' : last.prefixFollows ? 'i' : 'o';
  return { names, prefixes, nextPageToken: encodeToken({ k: last.key, t }) };
}

function* walk(names: readonly string[], query: ListQuery, resume: Resume | undefined): Generator<Entry> {
  const { prefix, delimiter, endOffset, matchGlob } = query;
  let lastPrefix: string | undefined;
  if (resume?.t === 'i') yield { kind: 'prefix', key: resume.k };
  if (resume && resume.t !== 'o') lastPrefix = resume.k;
  let from = prefix;
  if (query.startOffset !== undefined && compareUtf8(query.startOffset, from) > 0) from = query.startOffset;
  if (resume && compareUtf8(resume.k, from) > 0) from = resume.k;
  for (let i = lowerBound(names, from); i < names.length; i++) {
    const name = names[i]!;
    if (!name.startsWith(prefix)) break; // names under a prefix are contiguous in this order
    if (endOffset !== undefined && compareUtf8(name, endOffset) >= 0) break;
    if (resume && name === resume.k) continue;
    if (lastPrefix !== undefined && name.startsWith(lastPrefix)) continue;
    if (matchGlob && !matchGlob.test(name)) continue;
    if (delimiter !== undefined) {
      const rest = name.slice(prefix.length);
      const at = rest.indexOf(delimiter);
      if (at >= 0) {
        const common = prefix + rest.slice(0, at + delimiter.length);
        if (query.includeTrailingDelimiter && name === common) {
          yield { kind: 'item', key: name, prefixFollows: true };
        }
        yield { kind: 'prefix', key: common };
        lastPrefix = common;
        continue;
      }
    }
    yield { kind: 'item', key: name, prefixFollows: false };
  }
}

function lowerBound(names: readonly string[], key: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(names[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Encodes a resume point as an opaque page token. */
export function encodeToken(resume: Resume): string {
  return Buffer.from(JSON.stringify(resume), 'utf8').toString('base64url');
}

function decodeToken(token: string): Resume {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Resume>;
    if (typeof parsed.k === 'string' && (parsed.t === 'o' || parsed.t === 'p' || parsed.t === 'i')) {
      return { k: parsed.k, t: parsed.t };
    }
  } catch {
    // fall through to the error below
  }
  throw invalid(`Invalid page token: '${token}'.`);
}

/** Reads `maxResults`: an integer >= 1 (values above 1000 are capped, as on GCS); default 1000. */
export function parseMaxResults(raw: string | null): number {
  if (raw === null || raw === '') return 1000;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalid(`Invalid value for maxResults: '${raw}'.`);
  return Math.min(Number(raw), 1000);
}

/** A page of a plain sorted list of keys (bucket names), resuming after the token's key. */
export function simplePage(
  keys: readonly string[],
  maxResults: number,
  pageToken: string | undefined,
): { keys: string[]; nextPageToken: string | undefined } {
  const after = pageToken === undefined ? undefined : decodeToken(pageToken).k;
  const start = after === undefined ? 0 : keys.findIndex((k) => compareUtf8(k, after) > 0);
  if (start < 0) return { keys: [], nextPageToken: undefined };
  const page = keys.slice(start, start + maxResults);
  const more = start + maxResults < keys.length;
  const last = page[page.length - 1];
  return {
    keys: page,
    nextPageToken: more && last !== undefined ? encodeToken({ k: last, t: 'o' }) : undefined,
  };
}
