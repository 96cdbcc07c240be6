import { FailoverError, type FailureKind, redactError, setPatientTimeout } from '@failover/core';
import { RedisNotReadyError } from './ioredis-gate.js';
import type { IoredisClient } from './ioredis-types.js';

/**
 * The part of a node-redis client this package uses: a connected node-redis client (`redis`
 * package, v5 or v6, `createClient()`) fits as it is. Commands go through `sendCommand`, so the
 * client's modules, scripts and RESP version do not matter. (An ioredis client is accepted too:
 * see {@link IoredisClient}.)
 */
export interface RedisCommandClient {
  /** Sends one command and resolves with its reply. */
  sendCommand<T = unknown>(args: readonly string[], options?: { abortSignal?: AbortSignal }): Promise<T>;
}

/** Sends commands with a timeout of their own and turns every failure into a typed error. */
export interface RedisCaller {
  /** Resolves with the reply; rejects with an error of `kind` `timeout` or `unavailable` (or the caller's). */
  call<T = unknown>(args: readonly string[]): Promise<T>;
}

/** Makes an error of this package's error class from what a Redis call did. */
export type RedisErrorFactory = (kind: FailureKind, message: string, cause: unknown) => FailoverError;

/**
 * A {@link RedisCaller} over `client`: each command is abandoned after `timeoutMs` (also dropped from
 * the client's offline queue if it was not sent yet) and rejects with `kind: 'timeout'`; a closed
 * or disconnected client, or an error reply, rejects with `kind: 'unavailable'`. Messages name
 * `what` and the Redis error code, never the command's arguments or the connection URL; the
 * client's error is kept as `cause` through `redactError` (ioredis attaches the command and its
 * arguments to its errors, the handshake's `AUTH` password among them: they are left out).
 */
export function redisCaller(
  client: RedisCommandClient,
  timeoutMs: number,
  what: string,
  makeError: RedisErrorFactory,
): RedisCaller {
  return {
    call<T>(args: readonly string[]): Promise<T> {
      const controller = new AbortController();
      let cancel: () => void = () => undefined;
      // Patient with this process's own stalls: after a GC pause or a SIGSTOP the reply may be
      // in the socket already, unread; a timeout then would make a live Redis look away (and a
      // fleet's writes go to the local fallback, where the other instances cannot see them).
      const timedOut = new Promise<never>((_, reject) => {
        cancel = setPatientTimeout(() => {
          controller.abort();
          reject(
            makeError(
              'timeout',
              `${what}: Redis did not answer ${args[0]} within ${timeoutMs} ms`,
              undefined,
            ),
          );
        }, timeoutMs);
      });
      let sent: Promise<T>;
      try {
        sent = client.sendCommand<T>(args, { abortSignal: controller.signal });
      } catch (err) {
        sent = Promise.reject(err);
      }
      const answered = sent.then(
        (reply) => reply,
        (err: unknown) => {
          throw err instanceof FailoverError
            ? err
            : makeError('unavailable', `${what}: ${describeRedisError(err)}`, redactError(err));
        },
      );
      return Promise.race([answered, timedOut]).finally(() => cancel());
    },
  };
}

/** Whether `err` is Redis's NOSCRIPT reply (the script cache lost the script, e.g. after a restart). */
export function isNoScript(err: unknown): boolean {
  const cause = err instanceof FailoverError ? err.cause : err;
  return cause instanceof Error && cause.message.startsWith('NOSCRIPT');
}

/**
 * The error's class and Redis code (`ErrorReply OOM`, `ReplyError NOSCRIPT`, `ClientClosedError`),
 * without arguments; for a command the package did not hand to an ioredis client, why.
 */
export function describeRedisError(err: unknown): string {
  if (err instanceof RedisNotReadyError) return err.message;
  if (!(err instanceof Error)) return 'Redis call failed';
  const code = /^[A-Z][A-Z_-]+\b/.exec(err.message)?.[0];
  return code !== undefined ? `${err.name} ${code}` : err.name;
}
