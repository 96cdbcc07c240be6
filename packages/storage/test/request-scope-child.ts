/**
 * Child of request-scope.test.ts: reports, in a process of its own (no other promise hooks),
 * whether promise hooks are on before, while and after a `RequestScope` is used. Hooks are on when
 * a promise continuation runs with an async id (`executionAsyncId() !== 0`).
 */
import { executionAsyncId } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestScope, SCOPE_IDLE_MS } from '../src/io/request-scope.js';

async function hooksOn(): Promise<boolean> {
  await null;
  return executionAsyncId() !== 0;
}

const observer = { noteRequest: () => undefined };
const scope = new RequestScope<typeof observer>();
const out: Record<string, boolean> = { fresh: await hooksOn() };
await scope.run(observer, async () => {
  await sleep(5);
  out.during = await hooksOn();
});
const release = scope.hold();
await sleep(SCOPE_IDLE_MS + 200);
out.held = await hooksOn();
release();
const since = Date.now();
while ((await hooksOn()) && Date.now() - since < 60_000) await sleep(50);
out.idle = await hooksOn();
await scope.run(observer, async () => {
  out.again = await hooksOn();
});
console.log(JSON.stringify(out));
