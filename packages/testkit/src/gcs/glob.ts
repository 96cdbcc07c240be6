import { invalid } from './problem.js';

/**
 * Compiles a GCS `matchGlob` pattern into an anchored RegExp: `*` (anything but `/`), `**`
 * (anything; `**` followed by `/` also matches no directory at all), `?` (one character but `/`),
 * `[abc]`, `[a-z]`, `[!abc]`, `{a,b}` (alternatives, may nest), and `\` to escape. An unclosed
 * `[` or `{` is a 400.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let depth = 0;
  const chars = [...glob];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      i++;
      if (i >= chars.length) throw invalid('Invalid matchGlob: trailing "\\".');
      out += escapeRegExp(chars[i]!);
    } else if (c === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') {
          i++;
          out += '(?:[^]*/)?';
        } else out += '[^]*';
      } else out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = chars.indexOf(']', i + 2);
      if (close < 0) throw invalid('Invalid matchGlob: unclosed "[".');
      let body = chars.slice(i + 1, close);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      out += `[${negate ? '^' : ''}${body.map((ch) => (ch === '-' ? '-' : escapeClassChar(ch))).join('')}]`;
      i = close;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeRegExp(c);
    }
  }
  if (depth > 0) throw invalid('Invalid matchGlob: unclosed "{".');
  return new RegExp(`^${out}$`, 'u');
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\\\]^[]/.test(c) ? `\\${c}` : c;
}
