import type { MultiCloudBlobInfo } from './types.js';

/** What a write record says of a key's object: its size, SHA-256 and version. */
export interface RecordedObject {
  readonly size?: number | undefined;
  readonly sha256?: string | undefined;
  readonly version: string;
}

/**
 * A listing entry built from what a write record says (not from a target's listing): the
 * journal's pending put a listed target lacks (list.ts), or the acknowledged put a late copy
 * older than it stands in for (late-copy.ts). No user metadata; `at` (`Date.now()` time) becomes
 * `lastModified` when known; `target` names a holder, or is empty when none is known.
 */
export function listedFromRecord(
  key: string,
  record: RecordedObject,
  at: number | undefined,
  target: string,
): MultiCloudBlobInfo {
  const info: MultiCloudBlobInfo = {
    key,
    size: record.size ?? 0,
    metadata: {},
    checksums: record.sha256 === undefined ? {} : { sha256: record.sha256 },
    version: record.version,
    target,
  };
  if (at !== undefined) info.lastModified = new Date(at);
  return info;
}
