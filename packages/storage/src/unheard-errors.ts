import type { Readable } from 'node:stream';

/**
 * Lets a body stream handed to a caller fail without anyone listening, as Node's own HTTP
 * response (`IncomingMessage`) does: the error is kept (`stream.errored`), reaches every reader
 * that listens (`for await`, `pipeline`, an `'error'` listener) and ends the stream, but a body
 * nobody reads or listens to (dropped by its caller, or held while the store finishes a journal
 * write) no longer raises an unhandled `'error'` event that would end the process when its
 * connection is cut or its signal aborts later. Returns `stream`.
 */
export function toleratingUnheardErrors<S extends Readable>(stream: S): S {
  stream.on('error', unheard);
  return stream;
}

function unheard(): void {
  // Heard by the stream's readers, if it has any (see above).
}
