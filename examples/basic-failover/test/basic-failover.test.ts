import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('basic-failover example', () => {
  it('fails over during the brown-out, skips the open breaker, and brings traffic back', async () => {
    const lines: string[] = [];
    const r = await main((line) => lines.push(line));
    expect(r.appErrors).toBe(0);
    expect(r.servedBy.healthy).toEqual(['aws-us-east-1', 'aws-us-east-1', 'aws-us-east-1']);
    expect(r.servedBy.outage).toHaveLength(6);
    expect(r.servedBy.outage.every((t) => t === 'gcp-us-central1')).toBe(true);
    expect(r.servedBy.recovered).toEqual(['aws-us-east-1', 'aws-us-east-1', 'aws-us-east-1']);
    expect(r.breakerEvents).toEqual(['open aws-us-east-1', 'halfOpen aws-us-east-1', 'close aws-us-east-1']);
    // While the breaker was open, aws received no requests: fewer hits than outage calls x attempts.
    const aws = r.status.targets.find((t) => t.name === 'aws-us-east-1')!;
    expect(aws.rejections).toBeGreaterThan(0);
    expect(r.hits['aws-us-east-1']).toBe(aws.successes + aws.failures.unavailable);
    expect(r.hits['azure-eastus']).toBe(0);
    expect(lines.some((l) => l.includes('breaker OPEN for aws-us-east-1'))).toBe(true);
  });
});
