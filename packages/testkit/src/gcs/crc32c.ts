/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Google Cloud Storage keeps
 * for every object. Table-driven, eight bytes per step ("slicing by 8").
 */

const POLY = 0x82f63b78;

/** TABLES[k][b]: the CRC of byte `b` followed by `k` zero bytes. */
const TABLES: readonly Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    first[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = first[n]!;
    for (let t = 1; t < 8; t++) {
      c = (first[c & 0xff]! ^ (c >>> 8)) >>> 0;
      tables[t]![n] = c;
    }
  }
  return tables;
}

/**
 * Computes the CRC32C of `data` as an unsigned 32-bit integer. Pass the previous result as
 * `previous` to continue a checksum over several chunks: `crc32c(b, crc32c(a))` equals
 * `crc32c(a + b)`.
 */
export function crc32c(data: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let crc = ~previous >>> 0;
  let i = 0;
  const len = data.length;
  const end8 = len - (len % 8);
  while (i < end8) {
    const lo = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    crc =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
    i += 8;
  }
  while (i < len) {
    crc = t0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}

/** Encodes a CRC32C the way GCS reports it: the four bytes big-endian, in base64 (`"4waSgw=="`). */
export function crc32cToBase64(crc: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc >>> 0, 0);
  return bytes.toString('base64');
}

/** The CRC32C of `data` in GCS's base64 form; see {@link crc32cToBase64}. */
export function crc32cBase64(data: Uint8Array): string {
  return crc32cToBase64(crc32c(data));
}
