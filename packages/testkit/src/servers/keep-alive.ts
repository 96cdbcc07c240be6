/**
 * How long the local servers keep an idle connection open (ms): the GCS emulator, the fault
 * proxy, and (through `launchers/keep-alive.cjs`, which holds the same number: a preload cannot
 * import this module; a test checks the two agree) s3rver and Azurite. Node's default is 5 s;
 * cloud endpoints keep idle connections about a minute or more, longer than clients leave a
 * pooled socket idle, so a client never sends a request on a socket the server is closing.
 */
export const SERVER_KEEP_ALIVE_MS = 65_000;
