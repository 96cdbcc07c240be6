import { describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from '../src/index.js';
import { LatencyWindow } from '../src/latency.js';

interface Events {
  ping: { n: number };
  pong: string;
}

describe('TypedEmitter', () => {
  it('delivers typed payloads, in registration order, and reports has()/listenerCount()', () => {
    const e = new TypedEmitter<Events>();
    const seen: string[] = [];
    expect(e.has('ping')).toBe(false);
    e.on('ping', (p) => seen.push(`a${p.n}`));
    e.on('ping', (p) => seen.push(`b${p.n}`));
    e.on('pong', (p) => seen.push(p));
    expect(e.listenerCount('ping')).toBe(2);
    e.emit('ping', { n: 1 });
    e.emit('pong', 'x');
    expect(seen).toEqual(['a1', 'b1', 'x']);
  });

  it('listeners added or removed during an emit take effect on the next one', () => {
    const e = new TypedEmitter<Events>();
    const calls: string[] = [];
    const second = () => calls.push('second');
    e.on('ping', () => {
      calls.push('first');
      e.off('ping', second);
      e.on('ping', () => calls.push('third'));
    });
    e.on('ping', second);
    e.emit('ping', { n: 1 });
    expect(calls).toEqual(['first', 'second']);
    calls.length = 0;
    e.emit('ping', { n: 2 });
    expect(calls).toEqual(['first', 'third']);
  });

  it('a throwing listener does not stop the others; clear() removes everything', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const e = new TypedEmitter<Events>();
      const after = vi.fn();
      e.on('ping', () => {
        throw new Error('boom');
      });
      e.on('ping', after);
      expect(() => e.emit('ping', { n: 1 })).not.toThrow();
      expect(after).toHaveBeenCalledOnce();
      e.clear();
      expect(e.has('ping')).toBe(false);
      expect(() => e.on('ping', 'nope' as never)).toThrow(TypeError);
    } finally {
      warn.mockRestore();
    }
  });

  it("the 'a listener threw' warning prints the listener's message redacted", () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const e = new TypedEmitter<Events>();
      e.on('ping', () => {
        throw new Error('POST https://h/x?X-Amz-Signature=sigSECRET failed, Authorization: Bearer tokSECRET');
      });
      e.on('pong', () => {
        throw 'refresh_token=rtSECRET';
      });
      e.emit('ping', { n: 1 });
      e.emit('pong', 'x');
      expect(warn).toHaveBeenCalledTimes(2);
      const printed = warn.mock.calls.map((c) => String(c[0])).join('\n');
      expect(printed).toContain(
        "A 'ping' listener threw (Error: POST https://h/x?X-Amz-Signature=[redacted]",
      );
      for (const s of ['sigSECRET', 'tokSECRET', 'rtSECRET']) expect(printed).not.toContain(s);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('LatencyWindow', () => {
  it('is empty at first', () => {
    expect(new LatencyWindow().summary()).toEqual({ p50: undefined, p99: undefined, samples: 0 });
  });

  it('computes nearest-rank p50/p99 over the last 512 samples only', () => {
    const w = new LatencyWindow();
    for (let i = 1; i <= 100; i++) w.record(i);
    expect(w.summary()).toEqual({ p50: 50, p99: 99, samples: 100 });
    for (let i = 0; i < 512; i++) w.record(1000);
    expect(w.summary()).toEqual({ p50: 1000, p99: 1000, samples: 512 });
  });
});
