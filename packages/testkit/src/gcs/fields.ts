import { invalid } from './problem.js';

/** A parsed `fields` selector: each selected key maps to a sub-selector (`true`: all of it). */
export type FieldSelector = { [key: string]: FieldSelector | true };

/**
 * Parses the `fields` parameter of a partial response (`items(name,size),nextPageToken`,
 * `a/b`, `*`). Bad syntax is a 400.
 */
export function parseFields(text: string): FieldSelector {
  let pos = 0;
  const fail = (): never => {
    throw invalid(`Invalid field selection: '${text}'.`);
  };
  const name = (): string => {
    const start = pos;
    while (pos < text.length && !',()/'.includes(text[pos]!)) pos++;
    const out = text.slice(start, pos).trim();
    if (out.length === 0) fail();
    return out;
  };
  const list = (): FieldSelector => {
    const out: FieldSelector = {};
    for (;;) {
      item(out);
      if (text[pos] !== ',') return out;
      pos++;
    }
  };
  const item = (into: FieldSelector): void => {
    const key = name();
    let sub: FieldSelector | true = true;
    if (text[pos] === '/') {
      pos++;
      const inner: FieldSelector = {};
      item(inner);
      sub = inner;
    } else if (text[pos] === '(') {
      pos++;
      sub = list();
      if (text[pos] !== ')') fail();
      pos++;
    }
    into[key] = merge(into[key], sub);
  };
  const out = list();
  if (pos !== text.length) fail();
  return out;
}

function merge(a: FieldSelector | true | undefined, b: FieldSelector | true): FieldSelector | true {
  if (a === undefined) return b;
  if (a === true || b === true) return true;
  const out: FieldSelector = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
  return out;
}

/** Keeps only the selected fields of a JSON value (applied to each element of arrays). */
export function selectFields(value: unknown, selector: FieldSelector): unknown {
  if (Array.isArray(value)) return value.map((v) => selectFields(v, selector));
  if (value === null || typeof value !== 'object') return value;
  if (selector['*'] === true) return value;
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const [key, sub] of Object.entries(selector)) {
    if (key === '*') {
      for (const [k, v] of Object.entries(source))
        if (!(k in out)) out[k] = selectFields(v, sub as FieldSelector);
      continue;
    }
    if (!(key in source)) continue;
    out[key] = sub === true ? source[key] : selectFields(source[key], sub);
  }
  return out;
}
