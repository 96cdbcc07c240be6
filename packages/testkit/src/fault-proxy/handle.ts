import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { countStatus, type MutableCounts } from './counts.js';
import { injectedResponse } from './error-bodies.js';
import { forwardRequest, resetSocket } from './forward.js';
import { drainRequest, pathOf, sendInjected } from './respond.js';
import type { FaultFlavor, RequestFault, StatusFault } from './types.js';

/** What the handling of one request needs from its proxy. */
export interface ProxyState {
  readonly target: URL;
  readonly flavor: FaultFlavor;
  /** The agent forwarded requests go out on (one fresh connection per request). */
  readonly agent: http.Agent | https.Agent;
  readonly counts: MutableCounts;
  /** Connections held by `blackhole` or `stall` (dropped when the fault changes). */
  readonly held: Set<Socket>;
  /** Aborted when the proxy closes: every request in flight ends. */
  readonly closing: AbortSignal;
}

/**
 * Applies `applied` to one request: answers it with an injected status, holds it (`blackhole`),
 * resets it, or forwards it to the target (after a latency, shaped, reset, cut or stalled after
 * some bytes). Resolves when the request is done with; a request whose client went away or whose
 * proxy closed ends quietly.
 */
export async function handleFaulted(
  state: ProxyState,
  applied: RequestFault,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const signal = requestSignal(state.closing, res);
  try {
    switch (applied.type) {
      case 'status':
        await answer(state, applied, req, res, signal);
        return;
      case 'blackhole':
        req.pause();
        state.held.add(req.socket);
        return;
      case 'reset':
        if (applied.afterBytes === undefined) {
          if (applied.delayMs) await sleep(applied.delayMs, undefined, { signal });
          resetSocket(res);
          return;
        }
        break;
      case 'latency':
        await sleep(applied.ms, undefined, { signal });
        break;
      case 'cut':
      case 'corrupt':
      case 'stall':
      case 'pass':
        break;
    }
    state.counts.forwarded++;
    await forwardRequest({
      req,
      res,
      target: state.target,
      agent: state.agent,
      signal,
      shaping: {
        perChunkMs: applied.type === 'latency' ? applied.perChunkMs : undefined,
        bytesPerSecond: applied.type === 'latency' ? applied.bytesPerSecond : undefined,
        resetAfterBytes: applied.type === 'reset' ? applied.afterBytes : undefined,
        cutAfterBytes: applied.type === 'cut' ? (applied.afterBytes ?? 0) : undefined,
        corruptAt: applied.type === 'corrupt' ? (applied.afterBytes ?? 0) : undefined,
        stallAfterBytes: applied.type === 'stall' ? (applied.afterBytes ?? 0) : undefined,
        onStall: (socket) => {
          state.held.add(socket);
        },
      },
      onStatus: (status) => countStatus(state.counts, status),
      onUnreachable: (err) => {
        const code = (err as NodeJS.ErrnoException).code ?? err.name;
        const message = `fault proxy: target unreachable (${code})`;
        const response = injectedResponse(
          { type: 'status', status: 502, message },
          state.flavor,
          pathOf(req),
        );
        countStatus(state.counts, 502);
        sendInjected(res, response, { 'x-fault-proxy-error': code });
      },
    });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') return;
    throw err;
  }
}

/**
 * Aborted when the response closes before it was sent whole (the client went away, or a fault
 * cut it), or when the proxy closes. A response that went out whole leaves nothing to stop:
 * aborting then would destroy the finished upstream request with an `AbortError`, whose stack
 * trace costs the proxy's process more than forwarding the request did.
 */
function requestSignal(closing: AbortSignal, res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  closing.addEventListener('abort', abort, { once: true });
  res.once('close', () => {
    closing.removeEventListener('abort', abort);
    if (!res.writableFinished) abort();
  });
  return controller.signal;
}

/** An injected status in the cloud's own format, after reading the request's body (and the fault's delay). */
async function answer(
  state: ProxyState,
  applied: StatusFault,
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  // Read the body first, so the client can finish sending before it reads the answer.
  await drainRequest(req);
  if (applied.delayMs) await sleep(applied.delayMs, undefined, { signal });
  if (res.destroyed) return;
  const response = injectedResponse(applied, state.flavor, pathOf(req));
  countStatus(state.counts, response.status);
  sendInjected(res, response);
}
