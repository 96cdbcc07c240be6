// Scratch: interleaved in-process comparison (not committed).
import CircuitBreaker from 'opossum';
const { createFailover } = (await import(process.env.FROM_DIST ? '@failover/core' : '../../packages/core/src/index.js')) as typeof import('../../packages/core/src/index.js');

const noop = async (): Promise<number> => 1;
const which = process.argv[2] ?? 'all';
async function batch(fn: () => Promise<unknown>, n: number): Promise<number> {
  const c = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const d = process.cpuUsage(c);
  return ((d.user + d.system) * 1000) / n;
}
const b = new CircuitBreaker(noop, { timeout: false, rollingPercentilesEnabled: false });
const bt = new CircuitBreaker(noop, { timeout: 10_000, rollingPercentilesEnabled: false });
const fo = createFailover({ targets: [{ name: 'a' }] });
const fo0 = createFailover({ targets: [{ name: 'a' }], attemptTimeoutMs: false });
const fo2 = createFailover({ targets: [{ name: 'a' }, { name: 'b' }], breaker: { resetTimeoutMs: 86_400_000 } });
fo2.trip('a');
const cases: [string, () => Promise<unknown>][] = [
  ['opossum off', () => b.fire()],
  ['opossum 10s', () => bt.fire()],
  ['fo default', () => fo.run(noop)],
  ['fo skip first', () => fo2.run(noop)],
  ['fo no timeout', () => fo0.run(noop)],
];
const sel = which === 'all' ? cases : cases.filter((c) => c[0].startsWith(which));
const res = new Map<string, number[]>();
for (let r = 0; r < 22; r++) {
  for (const [name, fn] of sel) {
    const ns = await batch(fn, 100_000);
    if (r >= 2) (res.get(name) ?? res.set(name, []).get(name)!).push(ns);
  }
}
for (const [name, v] of res) {
  v.sort((x, y) => x - y);
  console.log(name.padEnd(16), 'min', v[0]!.toFixed(0), 'med', v[Math.floor(v.length / 2)]!.toFixed(0));
}
fo.close();
fo2.close();
b.shutdown();
bt.shutdown();
