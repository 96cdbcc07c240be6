/** The CRC-32 (IEEE 802.3, as in zlib and PNG) lookup table, one entry per byte value. */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * Continues a CRC-32 over `bytes[start, end)`. Start a new checksum with `crc = 0`; the result of
 * one call is the `crc` of the next, so a checksum can be computed over pieces.
 */
export function crc32(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  let c = ~crc >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A CRC-32 as 8 lower-case hex digits. */
export function crc32Hex(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}
