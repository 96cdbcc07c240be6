import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PATIENT_MAX_RESTARTS, setPatientTimeout } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Blocks this process's event loop for `ms` (a stall, as a GC pause or a SIGSTOP would be). */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

describe('setPatientTimeout', () => {
  it('fires like setTimeout when on time (fake timers)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fired = vi.fn();
    setPatientTimeout(fired, 1000);
    vi.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('a cancelled timeout never fires', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fired = vi.fn();
    const cancel = setPatientTimeout(fired, 1000);
    cancel();
    vi.advanceTimersByTime(5000);
    expect(fired).not.toHaveBeenCalled();
  });

  it('after a stall of this process, an answer that arrived meanwhile is read before the time is up', async () => {
    // A peer answers over a local socket while this process stands still: once it runs again,
    // the late timer comes due before the socket is read (timers run before I/O callbacks).
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const peer = await accepted;
    try {
      let answered = false;
      let timedOut = false;
      client.once('data', () => {
        answered = true;
      });
      setPatientTimeout(() => {
        timedOut = !answered;
      }, 20);
      peer.write('answer');
      block(300);
      await vi.waitFor(() => expect(answered).toBe(true));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(timedOut).toBe(false);
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });

  it('a stall that ends just after the time was up (less than PATIENT_STALL_MS late) still gives the peer its time', async () => {
    // Found by the fleet soak (seed 20261204, Redis up, a writer stalled 924 ms): Redis calls made
    // just before the stall, their questions still in the stalled process, timed out when it
    // resumed, their timers under 100 ms late: the instance took a live Redis for away, and its
    // reads and listings went by its own view (stale). Here the question leaves only once the
    // stall ends, the timer being due already; the echo comes one round trip later.
    const server = createServer((socket) => socket.on('data', (d) => socket.write(d)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    try {
      let answered = false;
      let timedOut = false;
      client.once('data', () => {
        answered = true;
      });
      const cancel = setPatientTimeout(() => {
        timedOut = !answered;
      }, 200);
      block(210); // the stall ends 10 ms after the time was up
      client.write('ask');
      await vi.waitFor(() => expect(answered || timedOut).toBe(true));
      cancel();
      expect(timedOut).toBe(false);
      expect(answered).toBe(true);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('on time, with no stall, it fires once the time is up (real timers)', async () => {
    let fired = 0;
    setPatientTimeout(() => {
      fired++;
    }, 30);
    await vi.waitFor(() => expect(fired).toBe(1), { timeout: 2000 });
  });

  it('a process that keeps stalling still times out, after at most PATIENT_MAX_RESTARTS restarts', async () => {
    let fired = 0;
    setPatientTimeout(() => {
      fired++;
    }, 10);
    for (let i = 0; i <= PATIENT_MAX_RESTARTS; i++) {
      block(200);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await vi.waitFor(() => expect(fired).toBe(1), { timeout: 5000 });
  });
});
