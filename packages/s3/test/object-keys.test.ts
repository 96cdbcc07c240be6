import { InvalidKeyError, prefixedKey } from '@failover/storage';
import { describe, expect, it } from 'vitest';
import { copySource, fromObjectKey } from '../src/object-keys.js';

describe('copySource', () => {
  it('percent-encodes every key segment as S3 requires, keeping the slashes', () => {
    expect(copySource('bucket', 'a b/c+d?e#f%g/ü.txt')).toBe('bucket/a%20b/c%2Bd%3Fe%23f%25g/%C3%BC.txt');
    expect(copySource('bucket', "x&y=z,;:@$!'()*~-._")).toBe(
      'bucket/x%26y%3Dz%2C%3B%3A%40%24%21%27%28%29%2A~-._',
    );
    expect(copySource('bucket', 'emoji-😀')).toBe('bucket/emoji-%F0%9F%98%80');
    expect(copySource('bucket', 'percent%2F')).toBe('bucket/percent%252F');
    expect(copySource('bucket', 'dir/')).toBe('bucket/dir/');
  });

  it('uses the /object/ form for an access point ARN', () => {
    const arn = 'arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap';
    expect(copySource(arn, 'a b')).toBe(`${arn}/object/a%20b`);
  });
});

describe('object keys under a prefix', () => {
  it('adds and strips the prefix, and checks the length with it', () => {
    expect(prefixedKey('app/', 'k')).toBe('app/k');
    expect(prefixedKey('', 'k')).toBe('k');
    expect(fromObjectKey('app/', 'app/k')).toBe('k');
    expect(() => prefixedKey('app/', 'k'.repeat(1021))).toThrow(InvalidKeyError);
    expect(prefixedKey('app/', 'k'.repeat(1020))).toHaveLength(1024);
    expect(() => prefixedKey('app/', '../x')).toThrow(InvalidKeyError);
  });
});
