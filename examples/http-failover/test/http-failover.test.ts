import { expect, it } from 'vitest';
import { main } from '../src/main.js';

it('the HTTP failover demo moves traffic away from aws-us-east-1 and back, with no application error', async () => {
  const lines: string[] = [];
  const result = await main({ log: (line) => lines.push(line) });

  expect(result.errors).toEqual([]);
  expect(result.served.healthy['aws-us-east-1']).toBeGreaterThan(0);
  // During the DNS outage and the brown-out nothing was served by aws-us-east-1...
  expect(result.served['dns-outage']['aws-us-east-1']).toBe(0);
  expect(result.served['brown-out']['aws-us-east-1']).toBe(0);
  // ...the calls moved to the next region instead...
  expect(result.served['dns-outage']['aws-us-west-2']).toBeGreaterThan(0);
  expect(result.served['brown-out']['aws-us-west-2']).toBeGreaterThan(0);
  expect(result.failovers['dns-outage']).toBeGreaterThan(0);
  // ...the breaker opened, and after recovery its probe closed it and traffic came back.
  expect(result.breakerEvents).toContain('open aws-us-east-1');
  expect(result.breakerEvents.at(-1)).toBe('close aws-us-east-1');
  expect(result.returned).toBe(true);
  expect(result.served.recovered['aws-us-east-1']).toBeGreaterThan(0);
  expect(lines.at(-1)).toContain('no errors seen by the application');
});
