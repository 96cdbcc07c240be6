import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { withFailover } from '@failover/http';
import { createFaultProxy, type Fault, type FaultProxy, faults } from '@failover/testkit';
import axios from 'axios';
import { type ApiServer, startApiServer } from './api-server.js';

const REGIONS = ['aws-us-east-1', 'aws-us-west-2', 'gcp'] as const;
type Region = (typeof REGIONS)[number];

/** One phase of the demo: what happens to aws-us-east-1 and for how long. */
interface Phase {
  readonly name: 'healthy' | 'dns-outage' | 'brown-out' | 'recovered';
  readonly fault: Fault;
  readonly ms: number;
}

/** What the demo saw, phase by phase. */
export interface DemoResult {
  /** Successful calls per phase and per region that served them. */
  readonly served: Record<Phase['name'], Record<Region, number>>;
  /** Calls the application saw fail (the demo's goal: none). */
  readonly errors: readonly string[];
  /** Breaker events, in order (`open aws-us-east-1`...). */
  readonly breakerEvents: readonly string[];
  /** `failover` events per phase. */
  readonly failovers: Record<Phase['name'], number>;
  /** Whether traffic came back to aws-us-east-1 after the outage. */
  readonly returned: boolean;
}

/** Options of {@link main}. */
export interface DemoOptions {
  /** Where progress lines go. Default: `console.log`. */
  readonly log?: (line: string) => void;
  /** Pause between two calls of the steady traffic, in ms. Default 15. */
  readonly intervalMs?: number;
}

/**
 * Starts three local orders APIs (standing for aws-us-east-1, aws-us-west-2 and gcp), each
 * behind a fault proxy, and sends steady GET/PUT/POST traffic through one `withFailover` axios
 * instance while aws-us-east-1 first stops resolving (DNS) and then answers 503s. Traffic moves to
 * aws-us-west-2 and, once the first region recovers and its breaker's probe succeeds, comes back.
 */
export async function main(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? console.log;
  const intervalMs = options.intervalMs ?? 15;
  const started = Date.now();
  const at = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(4)}s]`;

  const servers: ApiServer[] = [];
  const proxies = new Map<Region, FaultProxy>();
  try {
    for (const region of REGIONS) {
      const server = await startApiServer(region);
      servers.push(server);
      proxies.set(region, await createFaultProxy({ target: server.url, flavor: 'http', hostname: region }));
    }

    // The application's own axios instance, made to fail over in one line.
    const api = withFailover(
      axios.create({ timeout: 2_000, headers: { Authorization: 'Bearer demo-token' } }),
      {
        endpoints: REGIONS.map((name) => ({ name, baseURL: proxies.get(name)!.url })),
        retry: { maxAttempts: 1 },
        attemptTimeoutMs: 1_000,
        breaker: {
          volumeThreshold: 3,
          errorThresholdPercentage: 50,
          rollingWindowMs: 1_000,
          resetTimeoutMs: 600,
          maxResetTimeoutMs: 1_200,
        },
      },
    );

    const phases: Phase[] = [
      { name: 'healthy', fault: faults.pass(), ms: 1_200 },
      { name: 'dns-outage', fault: faults.dns(), ms: 2_000 },
      { name: 'brown-out', fault: faults.status(503), ms: 2_000 },
      { name: 'recovered', fault: faults.pass(), ms: 6_000 },
    ];
    const zero = () => Object.fromEntries(REGIONS.map((r) => [r, 0])) as Record<Region, number>;
    const served = Object.fromEntries(phases.map((p) => [p.name, zero()])) as DemoResult['served'];
    const failovers = Object.fromEntries(phases.map((p) => [p.name, 0])) as DemoResult['failovers'];
    const errors: string[] = [];
    const breakerEvents: string[] = [];
    let phase: Phase = phases[0]!;

    api.failover.on('failover', () => failovers[phase.name]++);
    for (const event of ['open', 'halfOpen', 'close'] as const) {
      api.failover.on(event, ({ target }) => {
        breakerEvents.push(`${event} ${target}`);
        log(`${at()} breaker ${event.padEnd(8)} ${target}`);
      });
    }

    let n = 0;
    const call = async (): Promise<void> => {
      n++;
      const kind = n % 3;
      try {
        const res =
          kind === 0
            ? await api.get(`/orders/${n}`)
            : kind === 1
              ? await api.put(`/orders/${n}`, { status: 'packed' })
              : await api.post(
                  '/orders',
                  { item: `book-${n}` },
                  { headers: { 'Idempotency-Key': `order-${n}` } },
                );
        const region = res.config.failover?.endpoint as Region;
        served[phase.name][region]++;
      } catch (err) {
        errors.push(`${phase.name}: ${(err as Error).message}`);
        log(`${at()} ERROR ${(err as Error).message}`);
      }
    };

    for (const p of phases) {
      phase = p;
      await proxies.get('aws-us-east-1')!.setFault(p.fault);
      log(`${at()} phase ${p.name}: aws-us-east-1 ${describeFault(p.fault)}`);
      const end = Date.now() + p.ms;
      while (Date.now() < end) {
        await call();
        // Once the first region serves again after the outage, a little more traffic is enough.
        if (p.name === 'recovered' && served.recovered['aws-us-east-1'] >= 30) break;
        await sleep(intervalMs);
      }
      log(
        `${at()}   served: ${REGIONS.map((r) => `${r}=${served[p.name][r]}`).join(' ')}, failovers=${failovers[p.name]}`,
      );
    }

    const status = api.failover.status();
    log(`${at()} breakers: ${status.targets.map((t) => `${t.name}=${t.state}`).join(' ')}`);
    api.failover.close();

    const returned = served.recovered['aws-us-east-1'] > 0;
    log(
      `${at()} ${errors.length === 0 ? 'no' : errors.length} errors seen by the application; traffic ${returned ? 'returned to' : 'did NOT return to'} aws-us-east-1`,
    );
    return { served, errors, breakerEvents, failovers, returned };
  } finally {
    await Promise.all([...proxies.values()].map((p) => p.close()));
    await Promise.all(servers.map((s) => s.close()));
  }
}

function describeFault(fault: Fault): string {
  if (fault.type === 'pass') return 'healthy';
  if (fault.type === 'dns') return 'stops resolving (ENOTFOUND)';
  if (fault.type === 'status') return `answers ${fault.status}`;
  return fault.type;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (result) => {
      process.exitCode = result.errors.length === 0 && result.returned ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
