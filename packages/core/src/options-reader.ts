import { InvalidOptionError } from './errors.js';

/**
 * Reads and checks one options object. Every getter names an option relative to the reader's
 * path, returns its value (or the default) and throws an {@link InvalidOptionError} naming the
 * full option path (`failover.breaker.resetTimeoutMs`) when the value is invalid. Every message
 * reads the same: `must be <rule>, got <value>`, `is required (<rule>)` or `is not a known
 * option (known: ...)`. Create one with {@link readOptions}; call {@link OptionsReader.done}
 * after the last getter to refuse unknown keys.
 *
 * @example
 * const r = readOptions(options, 'repair');
 * const concurrency = r.int('concurrency', { min: 1, max: 256, default: 4 });
 * const intervalMs = r.msOrFalse('intervalMs', { min: 10, max: 86_400_000, default: 30_000 });
 * r.done();
 */
export interface OptionsReader {
  /** The reader's own path (`''` for the top-level options). */
  readonly path: string;
  /**
   * The full path of option `name`, e.g. `failover.retry` for `retry` under `failover`; with
   * `index`, of one item of an array option: `targets[2]`.
   */
  at(name: string, index?: number): string;
  /** The raw value of option `name` (marks it known; no check). */
  value(name: string): unknown;
  /** Whether option `name` is given (not `undefined`); marks it known. */
  has(name: string): boolean;
  /** An integer in `[min, max]` (safe integers only; `max` defaults to the largest safe integer). */
  int(name: string, spec: IntSpec & { default: number }): number;
  /** The same, required: never `undefined`. */
  int(name: string, spec: IntSpec & { required: true }): number;
  /** The same, optional: `undefined` when not given. */
  int(name: string, spec: IntSpec): number | undefined;
  /** A finite number in `[min, max]`. */
  number(name: string, spec: NumberSpec & { default: number }): number;
  /** The same, required: never `undefined`. */
  number(name: string, spec: NumberSpec & { required: true }): number;
  /** The same, optional: `undefined` when not given. */
  number(name: string, spec: NumberSpec): number | undefined;
  /** A duration in whole milliseconds: an integer from `min` (default 0) to `max` (default 2147483647, the largest timer). */
  ms(name: string, spec: MsSpec & { default: number }): number;
  /** The same, required: never `undefined`. */
  ms(name: string, spec: MsSpec & { required: true }): number;
  /** The same, optional: `undefined` when not given. */
  ms(name: string, spec?: MsSpec): number | undefined;
  /** Like {@link OptionsReader.ms}, or `false` (turned off), which gives `undefined`. */
  msOrFalse(name: string, spec?: MsSpec): number | undefined;
  /** A boolean. */
  bool(name: string, spec: { default: boolean }): boolean;
  /** The same, required: never `undefined`. */
  bool(name: string, spec: { required: true }): boolean;
  /** The same, optional: `undefined` when not given. */
  bool(name: string, spec?: { required?: boolean }): boolean | undefined;
  /** A string; by default it must not be empty. */
  string(name: string, spec: StringSpec & { default: string }): string;
  /** The same, required: never `undefined`. */
  string(name: string, spec: StringSpec & { required: true }): string;
  /** The same, optional: `undefined` when not given. */
  string(name: string, spec?: StringSpec): string | undefined;
  /** One of the given values (compared with `===`). */
  oneOf<const T>(name: string, values: readonly T[], spec: { default: T }): T;
  /** The same, required: never `undefined`. */
  oneOf<const T>(name: string, values: readonly T[], spec: { required: true }): T;
  /** The same, optional: `undefined` when not given. */
  oneOf<const T>(name: string, values: readonly T[], spec?: { required?: boolean }): T | undefined;
  /**
   * A function, required: never `undefined`.
   * @typeParam F The function type the caller expects.
   */
  function<F extends (...args: never[]) => unknown>(name: string, spec: { required: true }): F;
  /**
   * A function, optional: `undefined` when not given.
   * @typeParam F The function type the caller expects.
   */
  function<F extends (...args: never[]) => unknown>(
    name: string,
    spec?: { required?: boolean },
  ): F | undefined;
  /** An array (its items are not checked; use {@link OptionsReader.at} to name them). */
  array(name: string, spec: ArraySpec & { required: true }): readonly unknown[];
  /** The same, optional: `undefined` when not given. */
  array(name: string, spec?: ArraySpec): readonly unknown[] | undefined;
  /** A value that passes `test` (a client, a store...); `rule` says what it must be, e.g. `'a BlobStore'`. */
  check<T>(name: string, test: (value: unknown) => value is T, rule: string, spec: { required: true }): T;
  /** The same, optional: `undefined` when not given. */
  check<T>(
    name: string,
    test: (value: unknown) => value is T,
    rule: string,
    spec?: { required?: boolean },
  ): T | undefined;
  /**
   * A nested options object, read by its own reader with the path `<path>.<name>`. `undefined`
   * gives a reader over `{}`, so its defaults apply.
   */
  object(name: string): OptionsReader;
  /** Like {@link OptionsReader.object}, but `false` turns the section off and gives `undefined`. */
  objectOrFalse(name: string): OptionsReader | undefined;
  /** Throws the {@link InvalidOptionError} for option `name`: `must be <rule>, got <its value>`. */
  fail(name: string, rule: string): never;
  /**
   * Throws an {@link InvalidOptionError} for option `name` with `message` as is (`must not ...`),
   * without the value: for values that may hold a secret (a URL with credentials).
   */
  refuse(name: string, message: string): never;
  /**
   * Refuses unknown keys: any key no getter read whose value is not `undefined` throws an
   * `InvalidOptionError` naming it and listing the known keys. Call it after the last getter.
   */
  done(): void;
}

/** Limits of {@link OptionsReader.int}. */
export interface IntSpec {
  /** The smallest value allowed. */
  min: number;
  /** The largest value allowed. Default `Number.MAX_SAFE_INTEGER` (then the message says "at least"). */
  max?: number;
  /** Shown after `min` in messages, e.g. the option it comes from (`retry.baseDelayMs`) or `off`. */
  minLabel?: string;
  /** Shown after `max` in messages, e.g. `5 GiB`. */
  maxLabel?: string;
  /** Given when the option is `undefined`. */
  default?: number;
  /** An `undefined` value throws `is required` (when there is no default). */
  required?: boolean;
}

/** Limits of {@link OptionsReader.number}. */
export type NumberSpec = IntSpec;

/** Limits of {@link OptionsReader.ms}. */
export interface MsSpec extends Omit<IntSpec, 'min'> {
  /** The shortest duration allowed. Default 0. */
  min?: number;
}

/** Rules of {@link OptionsReader.string}. */
export interface StringSpec {
  /** Given when the option is `undefined`. */
  default?: string;
  /** `''` is accepted. Default `false`. */
  allowEmpty?: boolean;
  /** A string of only white space is refused too. Default `false`. */
  notBlank?: boolean;
  /** The string must match this; `rule` says how in messages. */
  pattern?: RegExp;
  /** What a matching string is, e.g. `'1 to 64 characters of a-z, 0-9, "_" or "-"'`. */
  rule?: string;
  /** An `undefined` value throws `is required` (when there is no default). */
  required?: boolean;
}

/** Rules of {@link OptionsReader.array}. */
export interface ArraySpec {
  /** An empty array is refused. Default `false`. */
  nonEmpty?: boolean;
  /** What the items are, for messages: `'targets'` gives "a non-empty array of targets". */
  of?: string;
  /** An `undefined` value throws `is required`. */
  required?: boolean;
}

/**
 * Starts reading an options object. `path` is where it sits in the options the user gave
 * (`''` for the top level, `'failover'` for a nested section): error paths start with it. A value
 * that is not a plain object (not `null`, not an array) throws `InvalidOptionError` at once, for
 * `path` (or `options` at the top level). `undefined` is an empty object when `optional` is true.
 */
export function readOptions(value: unknown, path = '', optional = false): OptionsReader {
  if (value === undefined && optional) return new Reader({}, path);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(
      path === '' ? 'options' : path,
      `must be an object, got ${describeValue(value)}`,
    );
  }
  return new Reader(value as Record<string, unknown>, path);
}

/**
 * Describes a value for a message without quoting anything long or structured: strings are
 * quoted and cut to 40 characters; objects, arrays and functions are named by their type only.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Checks one integer option outside a reader (hot paths): `undefined` gives `fallback`; anything
 * else must be a safe integer in `[spec.min, spec.max]`, or an `InvalidOptionError` for `path`.
 */
export function checkInt(path: string, value: unknown, spec: IntSpec): number | undefined {
  if (value === undefined) {
    if (spec.default === undefined && spec.required) throw required(path, intRule('an integer', spec));
    return spec.default;
  }
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || (value as number) < spec.min || (value as number) > max) {
    throw invalid(path, intRule('an integer', spec), value);
  }
  return value as number;
}

/** Checks one boolean option outside a reader (hot paths); `undefined` passes. */
export function checkBool(path: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(path, 'a boolean', value);
  return value;
}

function intRule(what: string, spec: IntSpec): string {
  const min = spec.minLabel === undefined ? `${spec.min}` : `${spec.min} (${spec.minLabel})`;
  if (spec.max === undefined) return `${what} of at least ${min}`;
  const max = spec.maxLabel === undefined ? `${spec.max}` : `${spec.max} (${spec.maxLabel})`;
  return `${what} from ${min} to ${max}`;
}

/**
 * The error a reader throws for a bad value, for checks a reader cannot make (items of an array):
 * an `InvalidOptionError` for `path` saying `must be <rule>, got <value>`.
 */
export function optionError(path: string, rule: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(path, `must be ${rule}, got ${describeValue(value)}`);
}

const invalid = optionError;

function required(path: string, rule: string): InvalidOptionError {
  return new InvalidOptionError(path, `is required (${rule})`);
}

class Reader implements OptionsReader {
  private readonly known = new Set<string>();

  constructor(
    private readonly source: Record<string, unknown>,
    readonly path: string,
  ) {}

  at(name: string, index?: number): string {
    const path = this.path === '' ? name : `${this.path}.${name}`;
    return index === undefined ? path : `${path}[${index}]`;
  }

  value(name: string): unknown {
    this.known.add(name);
    return this.source[name];
  }

  has(name: string): boolean {
    return this.value(name) !== undefined;
  }

  int(name: string, spec: IntSpec): number;
  int(name: string, spec: IntSpec): number | undefined {
    return checkInt(this.at(name), this.value(name), spec);
  }

  number(name: string, spec: NumberSpec): number;
  number(name: string, spec: NumberSpec): number | undefined {
    const v = this.value(name);
    const rule = intRule('a number', spec);
    if (v === undefined) return this.missing(name, spec, rule);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > (spec.max ?? Number.MAX_VALUE)) {
      throw invalid(this.at(name), rule, v);
    }
    return v;
  }

  ms(name: string, spec?: MsSpec): number;
  ms(name: string, spec: MsSpec = {}): number | undefined {
    return this.int(name, msSpec(spec));
  }

  msOrFalse(name: string, spec: MsSpec = {}): number | undefined {
    const v = this.value(name);
    if (v === false) return undefined;
    const full = msSpec(spec);
    if (v === undefined) return this.missing(name, full, `false or ${intRule('an integer', full)}`);
    if (!Number.isSafeInteger(v) || (v as number) < full.min || (v as number) > (full.max as number)) {
      throw invalid(this.at(name), `false or ${intRule('an integer', full)}`, v);
    }
    return v as number;
  }

  bool(name: string, spec?: { default?: boolean; required?: boolean }): boolean;
  bool(name: string, spec: { default?: boolean; required?: boolean } = {}): boolean | undefined {
    const v = this.value(name);
    if (v === undefined) return this.missing(name, spec, 'a boolean');
    if (typeof v !== 'boolean') throw invalid(this.at(name), 'a boolean', v);
    return v;
  }

  string(name: string, spec?: StringSpec): string;
  string(name: string, spec: StringSpec = {}): string | undefined {
    const v = this.value(name);
    const rule = spec.rule ?? (spec.allowEmpty ? 'a string' : 'a non-empty string');
    if (v === undefined) return this.missing(name, spec, rule);
    if (
      typeof v !== 'string' ||
      (!spec.allowEmpty && v === '') ||
      (spec.notBlank && v !== '' && v.trim() === '') ||
      (spec.pattern !== undefined && !spec.pattern.test(v))
    ) {
      throw invalid(this.at(name), rule, v);
    }
    return v;
  }

  oneOf<T>(name: string, values: readonly T[], spec?: { default?: T; required?: boolean }): T;
  oneOf<T>(
    name: string,
    values: readonly T[],
    spec: { default?: T; required?: boolean } = {},
  ): T | undefined {
    const v = this.value(name);
    const rule = `one of ${values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}`;
    if (v === undefined) return this.missing(name, spec, rule);
    if (!values.includes(v as T)) throw invalid(this.at(name), rule, v);
    return v as T;
  }

  function<F extends (...args: never[]) => unknown>(name: string, spec?: { required?: boolean }): F;
  function<F extends (...args: never[]) => unknown>(
    name: string,
    spec: { required?: boolean } = {},
  ): F | undefined {
    const v = this.value(name);
    if (v === undefined) return this.missing(name, spec, 'a function');
    if (typeof v !== 'function') throw invalid(this.at(name), 'a function', v);
    return v as F;
  }

  array(name: string, spec?: ArraySpec): readonly unknown[];
  array(name: string, spec: ArraySpec = {}): readonly unknown[] | undefined {
    const v = this.value(name);
    const rule = `${spec.nonEmpty ? 'a non-empty array' : 'an array'}${spec.of ? ` of ${spec.of}` : ''}`;
    if (v === undefined) return this.missing(name, spec, rule);
    if (!Array.isArray(v) || (spec.nonEmpty && v.length === 0)) throw invalid(this.at(name), rule, v);
    return v;
  }

  check<T>(
    name: string,
    test: (value: unknown) => value is T,
    rule: string,
    spec?: { required?: boolean },
  ): T;
  check<T>(
    name: string,
    test: (value: unknown) => value is T,
    rule: string,
    spec: { required?: boolean } = {},
  ): T | undefined {
    const v = this.value(name);
    if (v === undefined) return this.missing(name, spec, rule);
    if (!test(v)) throw invalid(this.at(name), rule, v);
    return v;
  }

  object(name: string): OptionsReader {
    return readOptions(this.value(name), this.at(name), true);
  }

  objectOrFalse(name: string): OptionsReader | undefined {
    const v = this.value(name);
    if (v === false) return undefined;
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) {
      throw invalid(this.at(name), 'an object or false', v);
    }
    return readOptions(v, this.at(name), true);
  }

  fail(name: string, rule: string): never {
    throw invalid(this.at(name), rule, this.source[name]);
  }

  refuse(name: string, message: string): never {
    throw new InvalidOptionError(this.at(name), message);
  }

  done(): void {
    for (const key of Object.keys(this.source)) {
      if (!this.known.has(key) && this.source[key] !== undefined) {
        const known = [...this.known].join(', ');
        throw new InvalidOptionError(this.at(key), `is not a known option (known: ${known})`);
      }
    }
  }

  private missing<T>(name: string, spec: { default?: T; required?: boolean }, rule: string): T | undefined {
    if (spec.default === undefined && spec.required) throw required(this.at(name), rule);
    return spec.default;
  }
}

function msSpec(spec: MsSpec): IntSpec {
  return { ...spec, min: spec.min ?? 0, max: spec.max ?? MAX_TIMER };
}

/** The longest timer Node runs (setTimeout clamps longer ones to 1 ms). */
const MAX_TIMER = 2_147_483_647;
