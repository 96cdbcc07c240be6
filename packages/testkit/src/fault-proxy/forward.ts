import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Headers that describe one connection, never forwarded (RFC 9110 7.6.1), plus `expect`. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // The proxy already answered `100 Continue` to the client; the body follows at once.
  'expect',
]);

/** How the response is shaped on its way back. */
export interface ResponseShaping {
  /** Delay before each response body chunk, ms. */
  readonly perChunkMs?: number;
  /** Response body bandwidth cap, bytes per second. */
  readonly bytesPerSecond?: number;
  /** Reset the client connection after this many response body bytes. */
  readonly resetAfterBytes?: number;
  /** Close the client connection cleanly (FIN) after this many response body bytes. */
  readonly cutAfterBytes?: number;
  /** Flip every bit of the response body's byte at this offset. */
  readonly corruptAt?: number;
  /** Send nothing more after this many response body bytes, keeping the connection open. */
  readonly stallAfterBytes?: number;
  /** Called with the client's socket when a stall begins, so the proxy can drop it later. */
  readonly onStall?: (socket: Socket) => void;
}

type Stop = 'reset' | 'cut' | 'stall';

/** Everything {@link forwardRequest} needs. */
export interface ForwardContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly target: URL;
  /** An `https.Agent` for an https target, else an `http.Agent`. */
  readonly agent: http.Agent;
  readonly shaping: ResponseShaping;
  /** Aborted when the client goes away or the proxy closes. */
  readonly signal: AbortSignal;
  /** Called with the upstream status just before it is sent to the client. */
  onStatus(status: number): void;
  /** Called when the target could not be reached, before the client got any response. */
  onUnreachable(err: Error): void;
}

/** The headers of a raw header list without the hop-by-hop ones, as a flat [name, value, ...] list. */
function endToEnd(rawHeaders: readonly string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'connection') {
      for (const token of (rawHeaders[i + 1] ?? '').split(',')) listed.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    out.push(name, rawHeaders[i + 1] ?? '');
  }
  return out;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'AbortError';
}

/** Resets (TCP RST) the client's connection; the client sees `ECONNRESET`. */
export function resetSocket(res: ServerResponse): void {
  const socket = res.socket ?? res.req.socket;
  if (!socket || socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/**
 * Forwards one request to the target and streams the answer back, keeping the `Host` header the
 * client sent. Resolves when the exchange is over (answered, reset, or abandoned by the client).
 */
export async function forwardRequest(ctx: ForwardContext): Promise<void> {
  const { req, res, target, signal, shaping } = ctx;
  const request = target.protocol === 'https:' ? https.request : http.request;
  const upstream = request({
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port || (target.protocol === 'https:' ? 443 : 80),
    method: req.method,
    path: req.url,
    headers: endToEnd(req.rawHeaders),
    agent: ctx.agent,
    signal,
  });

  const responded = new Promise<IncomingMessage | Error>((resolve) => {
    upstream.once('response', resolve);
    // Errors after the response (a cut mid-body) surface on the response stream instead.
    upstream.on('error', resolve);
  });
  req.pipe(upstream);
  req.once('error', () => upstream.destroy());

  const answer = await responded;
  if (answer instanceof Error) {
    if (isAbort(answer) || signal.aborted) return;
    ctx.onUnreachable(answer);
    return;
  }
  const upstreamRes = answer;
  upstreamRes.once('error', () => undefined);
  try {
    ctx.onStatus(upstreamRes.statusCode ?? 502);
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, endToEnd(upstreamRes.rawHeaders));
    await pumpBody(upstreamRes, res, shaping, signal);
  } catch (err) {
    upstream.destroy();
    // The target or the client went away mid-body: the client must see a broken response, never a
    // short one that looks complete.
    if (!res.writableEnded) resetSocket(res);
    if (!isAbort(err) && !signal.aborted && !upstreamRes.destroyed) throw err;
  }
}

async function pumpBody(
  source: IncomingMessage,
  res: ServerResponse,
  shaping: ResponseShaping,
  signal: AbortSignal,
): Promise<void> {
  const { perChunkMs, bytesPerSecond } = shaping;
  const [stop, stopAfter] = stopOf(shaping);
  if (stopAfter === 0) {
    res.flushHeaders();
    await flushed(res);
    source.destroy();
    stopResponse(res, stop, shaping);
    return;
  }
  let sent = 0;
  const sliceSize = bytesPerSecond ? Math.max(1, Math.ceil(bytesPerSecond / 20)) : Number.POSITIVE_INFINITY;
  for await (const data of source) {
    const chunk = data as Buffer;
    if (perChunkMs) await sleep(perChunkMs, undefined, { signal });
    for (let offset = 0; offset < chunk.length; offset += sliceSize) {
      let piece = chunk.subarray(offset, Math.min(chunk.length, offset + sliceSize));
      if (bytesPerSecond) await sleep((piece.length / bytesPerSecond) * 1000, undefined, { signal });
      const cut = stopAfter !== undefined && sent + piece.length >= stopAfter;
      if (cut) piece = piece.subarray(0, (stopAfter ?? 0) - sent);
      const flip = shaping.corruptAt;
      if (flip !== undefined && flip >= sent && flip < sent + piece.length)
        piece = flipped(piece, flip - sent);
      if (piece.length > 0 && !res.write(piece)) await once(res, 'drain', { signal });
      sent += piece.length;
      if (cut) {
        await flushed(res);
        source.destroy();
        stopResponse(res, stop, shaping);
        return;
      }
    }
  }
  res.end();
}

/** A copy of `piece` with every bit of its byte at `at` flipped (the upstream's buffer is left alone). */
function flipped(piece: Buffer, at: number): Buffer {
  const copy = Buffer.from(piece);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

function stopOf(shaping: ResponseShaping): [Stop, number | undefined] {
  if (shaping.resetAfterBytes !== undefined) return ['reset', shaping.resetAfterBytes];
  if (shaping.cutAfterBytes !== undefined) return ['cut', shaping.cutAfterBytes];
  if (shaping.stallAfterBytes !== undefined) return ['stall', shaping.stallAfterBytes];
  return ['reset', undefined];
}

/** Ends the response the way the fault says, once its first bytes went out. */
function stopResponse(res: ServerResponse, stop: Stop, shaping: ResponseShaping): void {
  const socket = res.socket;
  if (stop === 'reset') {
    resetSocket(res);
    return;
  }
  if (!socket || socket.destroyed) return;
  if (stop === 'stall') {
    // Silent from now on: the proxy drops the connection when the fault changes or it closes.
    shaping.onStall?.(socket);
    return;
  }
  // A clean close (FIN) with the response unfinished, then the socket is released.
  socket.end(() => socket.destroy());
}

/** Resolves once everything written so far has been handed to the operating system. */
async function flushed(res: ServerResponse): Promise<void> {
  // The response corks its socket until the next tick; let it uncork, then wait for the buffer.
  await new Promise((resolve) => setImmediate(resolve));
  const socket = res.socket;
  if (socket && !socket.destroyed && socket.writableLength > 0) {
    await new Promise((resolve) => {
      socket.once('drain', resolve);
      socket.once('close', resolve);
    });
  }
}
