import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { redact } from '@failover/core';
import type { RequestContext, RequestNotes } from './context.js';
import { parseFields } from './fields.js';
import { handleSignedUrl } from './handlers/signed.js';
import { ClientGoneError, requestOrigin, sendProblem } from './http-io.js';
import { parsePath } from './paths.js';
import { GcsProblem } from './problem.js';
import type { RewriteTokens } from './rewrite-tokens.js';
import { route } from './router.js';
import { isSignedUrlRequest } from './signed-url.js';
import type { GcsStore } from './store.js';
import type { GcsRequestRecord } from './types.js';
import type { UploadSessions } from './upload-sessions.js';

/** The emulator's recent requests, oldest first, at most `limit` of them (0: none kept). */
export class RequestLog {
  readonly #records: GcsRequestRecord[] = [];

  constructor(private readonly limit: number) {}

  remember(record: GcsRequestRecord): void {
    if (this.limit === 0) return;
    this.#records.push(record);
    if (this.#records.length > this.limit) this.#records.splice(0, this.#records.length - this.limit);
  }

  /** A copy of the records. */
  records(): GcsRequestRecord[] {
    return [...this.#records];
  }

  clear(): void {
    this.#records.length = 0;
  }
}

/** What a request needs from the emulator. */
export interface EmulatorState {
  readonly store: GcsStore;
  readonly sessions: UploadSessions;
  readonly rewrites: RewriteTokens;
  readonly maxObjectSize: number;
  /** Trusted signers of signed URLs, by service account email. */
  readonly signers: ReadonlyMap<string, KeyObject>;
  /** The origin links in answers point to. */
  readonly linkOrigin: () => string;
  readonly log: RequestLog;
}

/**
 * Serves one request: a signed URL or a JSON API route. Records it in the log once the response
 * closed (path and query redacted). A handler's `GcsProblem` becomes GCS's error answer, anything
 * else a 500 `backendError` (redacted); a client gone, or an answer already begun, ends the
 * connection instead.
 */
export async function handleRequest(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const startedAt = Date.now();
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const notes: RequestNotes = { operation: 'unknown', bucket: undefined, object: undefined };
  res.once('close', () => {
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = redact(`${k}=${v}`).slice(k.length + 1);
    state.log.remember({
      method: req.method ?? 'GET',
      path: redact(url.pathname),
      query,
      operation: notes.operation,
      bucket: notes.bucket,
      object: notes.object,
      status: res.headersSent ? res.statusCode : 0,
      startedAt,
    });
  });
  try {
    const fieldsParam = url.searchParams.get('fields');
    const ctx: RequestContext = {
      req,
      res,
      method: (req.method ?? 'GET').toUpperCase(),
      query: url.searchParams,
      origin: requestOrigin(req, state.linkOrigin()),
      store: state.store,
      sessions: state.sessions,
      rewrites: state.rewrites,
      maxObjectSize: state.maxObjectSize,
      fields: fieldsParam ? parseFields(fieldsParam) : undefined,
      notes,
    };
    if (isSignedUrlRequest(url.searchParams)) await handleSignedUrl(ctx, req.url ?? '/', state.signers);
    else await route(ctx, parsePath(url.pathname));
  } catch (err) {
    if (err instanceof ClientGoneError || res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const problem =
      err instanceof GcsProblem
        ? err
        : new GcsProblem(
            500,
            'backendError',
            `Internal error: ${redact(err instanceof Error ? err.message : String(err))}`,
          );
    sendProblem(res, problem);
  }
}
