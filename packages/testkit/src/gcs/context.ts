import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldSelector } from './fields.js';
import type { RewriteTokens } from './rewrite-tokens.js';
import type { GcsStore } from './store.js';
import type { GcsOperation } from './types.js';
import type { UploadSessions } from './upload-sessions.js';

/** What the request log learns while a request is routed. */
export interface RequestNotes {
  operation: GcsOperation;
  bucket: string | undefined;
  object: string | undefined;
}

/** Everything a handler needs for one request. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly query: URLSearchParams;
  /** The origin the client used (for `Location` and links). */
  readonly origin: string;
  readonly store: GcsStore;
  readonly sessions: UploadSessions;
  /** Rewrites that span calls, by rewrite token. */
  readonly rewrites: RewriteTokens;
  /** Largest object accepted, in bytes. */
  readonly maxObjectSize: number;
  /** The `fields` selector of a partial response, when asked. */
  readonly fields: FieldSelector | undefined;
  readonly notes: RequestNotes;
}
