import type { GenericAbortSignal } from 'axios';

/** An `AbortSignal` source whose links to other signals can be cut one at a time. */
export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** Aborts when `source` aborts, until the returned function is called. */
  follow(source: GenericAbortSignal | undefined): () => void;
  /** Aborts now. */
  abort(reason?: unknown): void;
}

/** Creates a {@link LinkedAbort}. */
export function linkedAbort(): LinkedAbort {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    follow(source) {
      if (!source) return noop;
      if (source.aborted) {
        controller.abort(reasonOf(source));
        return noop;
      }
      const onAbort = () => controller.abort(reasonOf(source));
      source.addEventListener?.('abort', onAbort);
      return () => source.removeEventListener?.('abort', onAbort);
    },
  };
}

/** The shape of axios' legacy `CancelToken` this package uses. */
export interface CancelTokenLike {
  subscribe(listener: (reason: unknown) => void): void;
  unsubscribe(listener: (reason: unknown) => void): void;
}

/**
 * One `AbortSignal` for axios' `signal` and legacy `cancelToken` together (`undefined` when there
 * is neither), and a function that drops the listeners it added.
 */
export function callerSignal(
  signal: GenericAbortSignal | undefined,
  cancelToken: CancelTokenLike | undefined,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!cancelToken && (signal === undefined || signal instanceof AbortSignal)) {
    return { signal, dispose: noop };
  }
  const link = linkedAbort();
  const unfollow = link.follow(signal);
  const onCancel = (reason: unknown) => link.abort(reason);
  cancelToken?.subscribe(onCancel);
  return {
    signal: link.signal,
    dispose: () => {
      unfollow();
      cancelToken?.unsubscribe(onCancel);
    },
  };
}

function reasonOf(source: GenericAbortSignal): unknown {
  return (source as { reason?: unknown }).reason;
}

function noop(): void {}
