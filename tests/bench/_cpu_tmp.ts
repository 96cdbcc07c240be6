import { createFailover } from '@failover/core';
import CircuitBreaker from 'opossum';
const noop = async (): Promise<number> => 1;
const n = process.argv[2]!;
let fn: () => Promise<unknown>;
const d = { deadlineMs: 10_000 };
if (n === 'opo') { const b = new CircuitBreaker(noop, { timeout: false, rollingPercentilesEnabled: false }); fn = () => b.fire(); }
else if (n === 'opoT') { const b = new CircuitBreaker(noop, { timeout: 10_000, rollingPercentilesEnabled: false }); fn = () => b.fire(); }
else if (n === 'plain') { const fo = createFailover({ targets: [{ name: 'a' }] }); fn = () => fo.run(noop); }
else if (n === 'dead') { const fo = createFailover({ targets: [{ name: 'a' }] }); fn = () => fo.run(noop, d); }
else { const fo = createFailover({ targets: [{ name: 'a' }], attemptTimeoutMs: 10_000 }); fn = () => fo.run(noop); }
for (let i = 0; i < 200_000; i++) await fn();
const res: number[] = [];
for (let s = 0; s < 11; s++) {
  (globalThis as { gc?: () => void }).gc?.();
  const N = 100_000;
  const c = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn();
  const u = process.cpuUsage(c);
  res.push(((u.user + u.system) * 1000) / N);
}
res.sort((a, b) => a - b);
console.log(JSON.stringify({ n, min: Math.round(res[0]!), med: Math.round(res[5]!) }));
process.exit(0);
