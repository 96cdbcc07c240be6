/** A random generator returning numbers in [0, 1). */
export type Random = () => number;

/**
 * A small seedable generator (mulberry32): the same seed gives the same sequence, so a test that
 * injects faults with a `probability` fails the same requests on every run.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
