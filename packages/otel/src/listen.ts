/**
 * Adds `listener` for `event` when `source` knows that event; returns its remover, or `undefined`
 * when `source` throws a TypeError for an unknown event (an older router or store). Used for events
 * that only some versions emit (`panic`, the durability work's `lost`...).
 */
export function listenIfKnown(
  source: object,
  event: string,
  listener: (payload: unknown) => void,
): (() => void) | undefined {
  const on = (source as { on: (event: string, listener: (payload: unknown) => void) => () => void }).on;
  try {
    return on.call(source, event, listener);
  } catch (err) {
    if (err instanceof TypeError) return undefined;
    throw err;
  }
}
