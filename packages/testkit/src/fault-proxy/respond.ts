import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InjectedResponse } from './error-bodies.js';

/** Reads and drops the rest of a request body; resolves when it has ended or the request closed. */
export async function drainRequest(req: IncomingMessage): Promise<void> {
  req.resume();
  if (req.complete) return;
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
  });
}

/** Sends an injected response (with its `content-length`), plus `extraHeaders`. */
export function sendInjected(
  res: ServerResponse,
  response: InjectedResponse,
  extraHeaders: Record<string, string> = {},
): void {
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': String(response.body.length),
    ...extraHeaders,
  });
  res.end(response.body);
}

/** The path of a request, without its query string. */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] || '/';
}
