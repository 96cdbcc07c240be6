import { createHash } from 'node:crypto';

/**
 * The bodies of the Jepsen-style soak: every put writes bytes that depend only on the key and the
 * write's sequence number, so the parent (which keeps the model) and the writer child (which
 * sends them) agree without passing bodies around, and any copy read back names the write it came
 * from by its SHA-256.
 */
export function bodyFor(key: string, seq: number, size: number): Buffer {
  const header = Buffer.from(`jepsen ${key} #${seq}\n`);
  const out = Buffer.alloc(Math.max(size, header.length));
  header.copy(out);
  // xorshift32 seeded by the header: cheap, deterministic filler.
  let x = 2166136261;
  for (const b of header) x = Math.imul(x ^ b, 16777619) >>> 0;
  if (x === 0) x = 1;
  for (let i = header.length; i < out.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Lower-case hex SHA-256. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A small seeded generator (mulberry32): every choice of the soak comes from it. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** One of the keys of `weights`, drawn in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((n, [, w]) => n + w, 0);
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
}
