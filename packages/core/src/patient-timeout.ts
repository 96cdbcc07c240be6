/**
 * Lateness of a timer (ms) beyond which the time is taken for this process's own stall (a GC
 * pause, a SIGSTOP, a frozen VM, a starved CPU), not the peer's silence.
 */
export const PATIENT_STALL_MS = 100;

/** How many times one timeout is restarted after stalls of this process before it fires anyway. */
export const PATIENT_MAX_RESTARTS = 3;

/** How often the drift monitor of patient timeouts looks at the clock while one is armed (ms). */
const LOOK_EVERY_MS = 50;
/** Stalls remembered (the oldest is forgotten first). */
const REMEMBERED = 16;

/**
 * This process's stalls of at least {@link PATIENT_STALL_MS} while patient timeouts are armed,
 * measured by timer drift (an unref'd interval of {@link LOOK_EVERY_MS}), on `performance.now()`
 * as the timers' own lateness is: each one's end and length.
 */
const drift = {
  timer: undefined as ReturnType<typeof setInterval> | undefined,
  armed: 0,
  last: 0,
  stalls: [] as { end: number; length: number }[],
  look(now: number): void {
    const lag = now - drift.last - LOOK_EVERY_MS;
    if (lag >= PATIENT_STALL_MS) {
      drift.stalls.push({ end: now, length: lag });
      if (drift.stalls.length > REMEMBERED) drift.stalls.shift();
    }
    if (now > drift.last) drift.last = now;
  },
  /** How long this process stood still since `since`, including a stall ending right now. */
  stalledSince(since: number): number {
    drift.look(performance.now());
    let total = 0;
    for (const s of drift.stalls) if (s.end > since) total += Math.min(s.length, s.end - since);
    return total;
  },
  arm(): void {
    drift.armed++;
    if (drift.timer !== undefined) return;
    drift.last = performance.now();
    drift.timer = setInterval(() => drift.look(performance.now()), LOOK_EVERY_MS);
    drift.timer.unref?.();
  },
  disarm(): void {
    drift.armed--;
    if (drift.armed > 0 || drift.timer === undefined) return;
    clearInterval(drift.timer);
    drift.timer = undefined;
  },
};

/**
 * Like `setTimeout(onTimeout, ms)` for a time limit on a peer's answer, but patient with this
 * process's own stalls: when this process stood still during the limit (a stall of at least
 * {@link PATIENT_STALL_MS}, seen by a drift monitor that runs while patient timeouts are armed, or
 * the timer itself firing that late), the answer may already be waiting in its socket, unread
 * (timers run before the I/O callbacks that are due), or its question may have left only when the
 * stall ended. The limit then starts again
 * (at most {@link PATIENT_MAX_RESTARTS} times), so the I/O is read first and the peer gets its time
 * back. A stall that ends just before the time is up, or less than {@link PATIENT_STALL_MS} after
 * it, counts too (the timer alone would look on time: fleet soak, a Redis call whose question sat
 * in the stalled process). A timer that fires on time with no stall meanwhile fires as
 * `setTimeout` would (fake timers included). Returns the function that cancels it. `unref`: the
 * timer does not hold the process open.
 */
export function setPatientTimeout(onTimeout: () => void, ms: number, unref = false): () => void {
  let due = performance.now() + ms;
  let since = performance.now();
  let restarts = 0;
  let timer: ReturnType<typeof setTimeout>;
  let released = false;
  drift.arm();
  const release = (): void => {
    if (released) return;
    released = true;
    drift.disarm();
  };
  const arm = (): void => {
    timer = setTimeout(check, ms);
    if (unref) timer.unref?.();
  };
  const check = (): void => {
    const now = performance.now();
    const stood = now - due > PATIENT_STALL_MS || drift.stalledSince(since) >= PATIENT_STALL_MS;
    if (stood && restarts < PATIENT_MAX_RESTARTS) {
      restarts++;
      due = now + ms;
      since = now;
      arm();
      return;
    }
    release();
    onTimeout();
  };
  arm();
  return () => {
    clearTimeout(timer);
    release();
  };
}
