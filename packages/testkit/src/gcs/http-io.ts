import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FieldSelector, selectFields } from './fields.js';
import { GcsProblem } from './problem.js';

/** The client went away before its request body was complete; nothing can be answered. */
export class ClientGoneError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The client closed the connection before sending the whole request', options);
    this.name = 'ClientGoneError';
  }
}

/** Largest JSON request body accepted (metadata, bucket creation, compose...). */
export const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Reads a request body into one buffer. More than `limit` bytes is a 413 (`uploadTooLarge`);
 * a client that disconnects midway rejects with {@link ClientGoneError}.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, value?: Buffer): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.resume();
        finish(
          new GcsProblem(413, 'uploadTooLarge', `The request body exceeds the limit of ${limit} bytes.`),
        );
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = (err: Error): void => finish(new ClientGoneError({ cause: err }));
    const onClose = (): void => {
      if (!req.complete) finish(new ClientGoneError());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Reads a JSON object body; an empty body is `{}`. Bad JSON is a 400 `parseError`. With
 * `nullIsEmpty`, a body of `null` is `{}` too (where the body is an optional resource, such as a
 * rewrite's destination: some clients encode an empty resource as `null`, and GCS accepts it).
 */
export async function readJson(
  req: IncomingMessage,
  options: { nullIsEmpty?: boolean } = {},
): Promise<Record<string, unknown>> {
  const body = await readBody(req, MAX_JSON_BYTES);
  return parseJsonObject(body, options);
}

/** Parses a JSON object from bytes; empty means `{}` (and `null` too, with `nullIsEmpty`). */
export function parseJsonObject(
  body: Buffer,
  options: { nullIsEmpty?: boolean } = {},
): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text.length === 0) return {};
  if (options.nullIsEmpty && text === 'null') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GcsProblem(400, 'parseError', 'Parse Error');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GcsProblem(400, 'parseError', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** Sends a JSON body (filtered by a `fields` selector when given). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  options: { headers?: Record<string, string>; fields?: FieldSelector } = {},
): void {
  const shown = options.fields ? selectFields(body, options.fields) : body;
  const text = Buffer.from(JSON.stringify(shown), 'utf8');
  res.writeHead(status, {
    ...options.headers,
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': String(text.length),
    'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate',
  });
  res.end(text);
}

/** Sends a response without a body. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end();
}

/** Sends an error in GCS's shape (a 304 goes without a body). */
export function sendProblem(res: ServerResponse, problem: GcsProblem): void {
  if (problem.status === 304) {
    sendEmpty(res, 304, { ...problem.headers });
    return;
  }
  sendJson(res, problem.status, problem.toBody(), { headers: { ...problem.headers } });
}

/**
 * The origin clients reached the emulator at: `X-Forwarded-Proto`/`X-Forwarded-Host` when a proxy
 * set them, else the `Host` header, else `fallback`. Used for `Location` and links.
 */
export function requestOrigin(req: IncomingMessage, fallback: string): string {
  const forwardedHost = firstHeader(req.headers['x-forwarded-host']);
  const host = forwardedHost ?? req.headers.host;
  if (!host || !/^[A-Za-z0-9.\-_:[\]]+$/.test(host)) return fallback;
  const proto = firstHeader(req.headers['x-forwarded-proto']) === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}
