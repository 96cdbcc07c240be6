/**
 * Lateness of a timer (ms) beyond which the time is taken for this process's own stall (a GC
 * pause, a SIGSTOP, a frozen VM, a starved CPU), not the peer's silence.
 */
export const PATIENT_STALL_MS = 100;

/** How many times one timeout is restarted after stalls of this process before it fires anyway. */
export const PATIENT_MAX_RESTARTS = 3;

/**
 * Like `setTimeout(onTimeout, ms)` for a time limit on a peer's answer, but patient with this
 * process's own stalls: when the timer fires more than {@link PATIENT_STALL_MS} late, this process
 * stood still meanwhile and the answer may already be waiting in its socket, unread (timers run
 * before the I/O callbacks that are due). The limit then starts again (at most
 * {@link PATIENT_MAX_RESTARTS} times), so the I/O is read first and the peer gets its time back.
 * A timer that fires on time fires as `setTimeout` would (fake timers included). Returns the
 * function that cancels it. `unref`: the timer does not hold the process open.
 */
export function setPatientTimeout(onTimeout: () => void, ms: number, unref = false): () => void {
  let due = performance.now() + ms;
  let restarts = 0;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    timer = setTimeout(check, ms);
    if (unref) timer.unref?.();
  };
  const check = (): void => {
    const now = performance.now();
    if (now - due > PATIENT_STALL_MS && restarts < PATIENT_MAX_RESTARTS) {
      restarts++;
      due = now + ms;
      arm();
      return;
    }
    onTimeout();
  };
  arm();
  return () => clearTimeout(timer);
}
