/**
 * Compares two strings in UTF-8 byte order (the same as Unicode code point order), the order S3
 * and GCS list keys in. JavaScript's `<` compares UTF-16 code units instead, which puts characters
 * above U+FFFF (emoji) before U+E000..U+FFFF; this does not. Returns a negative number, zero or a
 * positive number, like a `sort` comparator.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    // A surrogate starts (or continues) a code point above U+FFFF, which is above every BMP one.
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
