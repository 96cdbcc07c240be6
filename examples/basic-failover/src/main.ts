/**
 * Basic failover: three local HTTP servers stand for AWS, Google Cloud and Azure. Calls go to AWS
 * first; when AWS starts answering 503 they move to Google Cloud, AWS's breaker opens (it is then
 * skipped without a request), and when AWS recovers a half-open probe brings the traffic back.
 *
 * Run: pnpm --filter @failover/example-basic-failover start
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type AttemptContext, createFailover, type FailoverStatus } from '@failover/core';
import { type FakeCloud, startFakeCloud } from './servers.js';

/** A target: a cloud region and its base URL. Extra fields travel with the target. */
interface Region {
  readonly name: string;
  readonly url: string;
}

/** What the example observed, for its test. */
export interface ExampleResult {
  /** Calls that failed from the application's point of view (should be 0). */
  readonly appErrors: number;
  /** The region that served each call, by phase. */
  readonly servedBy: Readonly<Record<'healthy' | 'outage' | 'recovered', readonly string[]>>;
  /** Breaker events seen, in order (`open aws-us-east-1`, ...). */
  readonly breakerEvents: readonly string[];
  /** Requests each fake cloud received. */
  readonly hits: Readonly<Record<string, number>>;
  /** The router's status at the end. */
  readonly status: FailoverStatus;
}

/** The HTTP call the application makes, with the attempt's signal passed to fetch. */
async function getGreeting(region: Region, { signal }: AttemptContext): Promise<{ from: string }> {
  const res = await fetch(`${region.url}/greeting`, { signal });
  if (!res.ok) {
    // Give the error the shape the classifier reads: a status (503 -> unavailable) and headers.
    await res.body?.cancel();
    throw Object.assign(new Error(`GET ${region.name}/greeting: HTTP ${res.status}`), {
      status: res.status,
      response: { status: res.status, headers: res.headers },
    });
  }
  return (await res.json()) as { from: string };
}

/** Runs the story; `log` receives the narration (console.log by default). */
export async function main(log: (line: string) => void = console.log): Promise<ExampleResult> {
  const clouds: FakeCloud[] = await Promise.all(
    ['aws-us-east-1', 'gcp-us-central1', 'azure-eastus'].map((name) => startFakeCloud(name)),
  );
  const [aws] = clouds as [FakeCloud, FakeCloud, FakeCloud];
  const fo = createFailover<Region>({
    targets: clouds.map((c) => ({ name: c.name, url: c.url })),
    breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 500 },
    retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100 },
    attemptTimeoutMs: 1000,
  });

  const breakerEvents: string[] = [];
  fo.on('open', (e) => {
    breakerEvents.push(`open ${e.target}`);
    log(`  ! breaker OPEN for ${e.target} (${e.kind}); next probe in ${e.resetTimeoutMs} ms`);
  });
  fo.on('halfOpen', (e) => {
    breakerEvents.push(`halfOpen ${e.target}`);
    log(`  ! breaker HALF-OPEN for ${e.target}: the next call is a probe`);
  });
  fo.on('close', (e) => {
    breakerEvents.push(`close ${e.target}`);
    log(`  ! breaker CLOSED for ${e.target}: traffic returns`);
  });
  fo.on('retry', (e) =>
    log(`  ~ retry ${e.target} (attempt ${e.attempt}) in ${e.delayMs} ms after ${e.kind}`),
  );
  fo.on('failover', (e) => {
    if (e.kind === 'unavailable' && (e.error as Error).name === 'BreakerOpenError') return; // skipped: said below
    log(`  > failover ${e.from} -> ${e.to} (${e.kind})`);
  });

  let appErrors = 0;
  let callNo = 0;
  const call = async (): Promise<string | undefined> => {
    callNo++;
    try {
      const r = await fo.runDetailed(getGreeting, { idempotent: true, deadlineMs: 3000 });
      const skipped = r.failures.filter((f) => f.attempts === 0).map((f) => f.target);
      log(
        `  call ${callNo}: served by ${r.value.from}${skipped.length ? ` (skipped, breaker open: ${skipped.join(', ')})` : ''}`,
      );
      return r.target.name;
    } catch (err) {
      appErrors++;
      log(`  call ${callNo}: FAILED ${(err as Error).message}`);
      return undefined;
    }
  };
  const phase = async (count: number, gapMs: number): Promise<string[]> => {
    const served: string[] = [];
    for (let i = 0; i < count; i++) {
      const t = await call();
      if (t) served.push(t);
      await sleep(gapMs);
    }
    return served;
  };

  try {
    log('1. All three clouds are healthy: calls go to the first one.');
    const healthy = await phase(3, 10);

    log(`2. ${aws.name} starts answering 503 (a brown-out): calls move on, its breaker opens.`);
    aws.setMode('503');
    const outage = await phase(6, 20);

    log(`3. ${aws.name} recovers; after the reset timeout one probe goes through and traffic comes back.`);
    aws.setMode('up');
    // The breaker stays open for its reset timeout (500 ms here); wait until it lets a probe through.
    for (let waited = 0; !fo.isAvailable(aws.name) && waited < 5000; waited += 25) await sleep(25);
    const recovered = await phase(3, 10);

    const status = fo.status();
    log('Status:');
    for (const t of status.targets) {
      const failures = Object.entries(t.failures)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ');
      log(
        `  ${t.name.padEnd(16)} ${t.state.padEnd(8)} ok=${t.successes} ${failures || 'no failures'} ` +
          `skipped=${t.rejections} retries=${t.retries} p50=${t.latencyMs.p50 ?? '-'}ms p99=${t.latencyMs.p99 ?? '-'}ms`,
      );
    }
    log(`  retry budget: ${status.budget?.tokens}/${status.budget?.capacity} tokens`);
    const hits = Object.fromEntries(clouds.map((c) => [c.name, c.hits()]));
    return { appErrors, servedBy: { healthy, outage, recovered }, breakerEvents, hits, status };
  } finally {
    fo.close();
    await Promise.all(clouds.map((c) => c.close()));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (r) => {
      const back = r.servedBy.recovered.at(-1) === 'aws-us-east-1';
      console.log(
        r.appErrors === 0 && back
          ? "OK: no call failed from the application's point of view, and traffic came back to aws-us-east-1."
          : `FAILED: ${r.appErrors} call(s) failed${back ? '' : '; traffic did not come back'}.`,
      );
      process.exitCode = r.appErrors === 0 && back ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
