import { faults } from '@failover/testkit';
import type { Phase, Scenario, ScenarioId } from './types.js';

const normal: Phase = {
  id: 'normal',
  title: 'every cloud healthy',
  realWorld: 'an ordinary Sunday evening in us-east-1',
  weight: 12,
  faults: {},
};

const recovered: Phase = {
  id: 'recovered',
  title: 'AWS healthy again; writes made during the outage are copied back',
  realWorld: 'AWS reports every service recovered, in the afternoon of 20 October',
  weight: 26,
  faults: {},
};

/**
 * The AWS us-east-1 outage of 19-20 October 2025, in the order the applications saw it: the
 * regional endpoint stopped resolving, then hours of slow calls, throttling and 5xx while AWS
 * drained its backlogs, then recovery.
 */
const usEast1: Scenario = {
  id: 'us-east-1-2025',
  title: 'AWS us-east-1, 19-20 October 2025',
  description:
    'The regional endpoint stops resolving (DNS), then a long brown-out with latency, throttling and 5xx ' +
    'while backlogs drain, then recovery. S3 and the us-east-1 pricing API stand for the region.',
  appErrorsExpected: false,
  phases: [
    normal,
    {
      id: 'dns',
      title: 'the us-east-1 endpoints stop resolving (ENOTFOUND)',
      realWorld:
        "from about 23:48 PDT on 19 October, DynamoDB's regional endpoint had an empty DNS record: every new " +
        'connection to it failed at once, and the AWS services built on it failed with it',
      weight: 22,
      faults: { s3: faults.dns(), 'api-us-east-1': faults.dns() },
    },
    {
      id: 'brown-out',
      title: 'names resolve again, but calls are slow, throttled (503 SlowDown) or fail (500)',
      realWorld:
        'after the DNS record was restored (about 02:25 PDT), instance launches, load-balancer health checks and ' +
        'the services behind them kept failing or timing out; AWS throttled requests while backlogs drained',
      weight: 22,
      faults: {
        s3: faults.mix(
          faults.slowDown({ probability: 0.35 }),
          faults.serverError({ probability: 0.1 }),
          faults.latency(400, { probability: 0.3 }),
        ),
        'api-us-east-1': faults.mix(
          faults.status(503, { probability: 0.35 }),
          faults.status(500, { probability: 0.1 }),
          faults.latency(400, { probability: 0.3 }),
        ),
      },
    },
    {
      id: 'draining',
      title: 'fewer errors, still some throttling and latency',
      realWorld:
        'through the day on 20 October, AWS lifted its throttles step by step as the backlogs drained',
      weight: 18,
      faults: {
        s3: faults.mix(faults.slowDown({ probability: 0.1 }), faults.latency(200, { probability: 0.2 })),
        'api-us-east-1': faults.mix(
          faults.status(503, { probability: 0.1 }),
          faults.latency(200, { probability: 0.2 }),
        ),
      },
    },
    recovered,
  ],
};

/** The primary accepts connections and never answers: only deadlines get the calls out. */
const blackhole: Scenario = {
  id: 'blackhole',
  title: 'AWS black hole',
  description:
    'Requests to S3 and the us-east-1 pricing API are accepted and never answered (a silent network partition): ' +
    'only attempt timeouts and deadlines get calls out, then the breakers keep them away.',
  appErrorsExpected: false,
  phases: [
    normal,
    {
      id: 'blackhole',
      title: 'S3 and the us-east-1 API accept requests and never answer',
      realWorld:
        'a partition or overloaded front end: packets vanish, no error ever comes back, calls hang until the client gives up',
      weight: 44,
      faults: { s3: faults.blackhole(), 'api-us-east-1': faults.blackhole() },
    },
    { ...recovered, realWorld: 'the network path is back', weight: 30 },
  ],
};

/** AWS goes down and comes back several times: breakers must reopen and close without flapping traffic. */
const flapping: Scenario = {
  id: 'flapping',
  title: 'AWS flapping',
  description:
    'S3 and the us-east-1 pricing API fail and recover several times in a row (DNS failures, refused ' +
    'connections), as a region does while operators roll fixes out and back.',
  appErrorsExpected: false,
  phases: [
    normal,
    ...[1, 2, 3].flatMap((n): Phase[] => [
      {
        id: `down-${n}`,
        title: n % 2 === 1 ? 'the us-east-1 endpoints stop resolving' : 'S3 refuses connections',
        realWorld: 'a fix rolled out, then rolled back: the region fails again',
        weight: 12,
        faults:
          n % 2 === 1
            ? { s3: faults.dns(), 'api-us-east-1': faults.dns() }
            : { s3: faults.refuse(), 'api-us-east-1': faults.refuse() },
      },
      {
        id: `up-${n}`,
        title: 'AWS answers again, for a while',
        realWorld: 'a short recovery before the next failure',
        weight: 8,
        faults: {},
      },
    ]),
    { ...recovered, weight: 16 },
  ],
};

/** Every cloud fails at once: the application sees errors, and nothing it was told is saved is lost. */
const allCloudsDown: Scenario = {
  id: 'all-clouds-down',
  title: 'every cloud down',
  description:
    'AWS fails first, then Google Cloud and Azure too: with nowhere left to go the application sees errors. ' +
    'The run proves that every write it was told had succeeded survives and is repaired to all three clouds.',
  appErrorsExpected: true,
  phases: [
    normal,
    {
      id: 'aws-down',
      title: 'the us-east-1 endpoints stop resolving',
      realWorld: 'the October 2025 DNS failure',
      weight: 16,
      faults: { s3: faults.dns(), 'api-us-east-1': faults.dns() },
    },
    {
      id: 'all-down',
      title: 'every storage cloud and every API region is unreachable',
      realWorld: 'no real outage has taken three providers down at once; this is the worst case, on purpose',
      weight: 24,
      appErrorsAllowed: true,
      faults: {
        s3: faults.dns(),
        gcs: faults.refuse(),
        azure: faults.refuse(),
        'api-us-east-1': faults.dns(),
        'api-us-west-2': faults.refuse(),
        'api-gcp': faults.refuse(),
      },
    },
    {
      id: 'gcp-back',
      title: 'Google Cloud answers again; AWS and Azure still down',
      realWorld: 'the first provider recovers (errors stop once a breaker probes it and finds it up)',
      weight: 16,
      appErrorsAllowed: true,
      faults: {
        s3: faults.dns(),
        azure: faults.refuse(),
        'api-us-east-1': faults.dns(),
        'api-us-west-2': faults.refuse(),
      },
    },
    { ...recovered, realWorld: 'every provider recovered', weight: 32 },
  ],
};

/** Every scenario, by id. */
export const SCENARIOS: Readonly<Record<ScenarioId, Scenario>> = Object.freeze({
  'us-east-1-2025': usEast1,
  blackhole,
  flapping,
  'all-clouds-down': allCloudsDown,
});
