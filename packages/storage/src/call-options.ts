import { InvalidArgumentError } from './errors.js';

/** Where an argument error is about: the key and the store, when known. */
export interface ArgumentContext {
  /** The key of the call, when it has one. */
  readonly key?: string | undefined;
  /** The store's name, when known. */
  readonly target?: string | undefined;
}

/**
 * Checks the options argument of a store call (`get`, `head`, `exists`, `delete`, `copy`, `list`,
 * `put`): absent (`undefined`) or an object, never `null`, a string, a number or an array; and its
 * `signal`, when given, an `AbortSignal` (see {@link checkSignal}). Returns the options, `{}` when
 * absent. Throws `InvalidArgumentError` (`argument: 'options'` or `'signal'`) otherwise. Every store
 * calls it first, so a bad call fails at once and the same way on every store.
 */
export function checkCallOptions<T extends object>(options: T | undefined, ctx: ArgumentContext = {}): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(
      'options',
      `must be an object when given, not ${describe(options)}`,
      opts(ctx),
    );
  }
  checkSignal((options as { signal?: unknown }).signal, ctx);
  return options;
}

/**
 * Checks a `signal` option: absent, or an `AbortSignal` (anything with a boolean `aborted` and
 * `addEventListener` / `removeEventListener`, so signals of another realm or a polyfill pass).
 * Throws `InvalidArgumentError` (`argument: 'signal'`) otherwise, e.g. for `{}` or `true`.
 */
export function checkSignal(
  signal: unknown,
  ctx: ArgumentContext = {},
): asserts signal is AbortSignal | undefined {
  if (signal === undefined) return;
  const s = signal as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof s.aborted !== 'boolean' ||
    typeof s.addEventListener !== 'function' ||
    typeof s.removeEventListener !== 'function'
  ) {
    throw new InvalidArgumentError(
      'signal',
      `must be an AbortSignal when given, not ${describe(signal)}`,
      opts(ctx),
    );
  }
}

function opts(ctx: ArgumentContext): { key?: string; target?: string } {
  return {
    ...(ctx.key === undefined ? {} : { key: ctx.key }),
    ...(ctx.target === undefined ? {} : { target: ctx.target }),
  };
}

/** `a string`, `null`, `an array`, `an object without AbortSignal methods`... for messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object that is not one';
  return `a ${typeof value}`;
}
