import { connect } from 'node:net';
import { failedBeforeSending } from '@failover/core';

/** Resolves with the error code of a TCP connect to `origin`, or 'connected'. */
export function probe(origin: string): Promise<string> {
  const url = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Whether a process with this id is alive. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The error `promise` rejects with; fails the test when it resolves. */
export function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: Error & Record<string, unknown>) => err,
  );
}

/**
 * The error of `call` once it failed before sending (a name that did not resolve, a refused
 * connection). A fault that drops the proxy's open connections (`dns`) may first meet, on a loaded
 * machine, pooled connections the client has not seen close yet: each of those calls fails with a
 * reset, and the next one needs a new connection. At most `tries` calls.
 */
export async function failureBeforeSending(
  call: () => Promise<unknown>,
  tries = 5,
): Promise<Error & Record<string, unknown>> {
  let err = await failure(call());
  for (let i = 1; i < tries && !failedBeforeSending(err); i++) err = await failure(call());
  return err;
}
