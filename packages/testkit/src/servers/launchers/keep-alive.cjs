'use strict';
// Preloaded into the emulator child processes that @failover/testkit starts (`node --require`):
// every HTTP server they create keeps an idle connection open for KEEP_ALIVE_MS instead of Node's
// 5 s. A client's pooled socket that the server closes at the very moment the client sends a new
// request on it fails that request with ECONNRESET ("socket hang up"); on a loaded machine the
// client sees the server's close late, and that happened in tests with nothing injected. Cloud
// endpoints keep idle connections far longer than 5 s (about a minute or more), so this is also
// the closer model. The GCS emulator and the fault proxy use the same value (servers/keep-alive.ts;
// a test checks the two agree).
const http = require('node:http');

const KEEP_ALIVE_MS = 65_000;
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function listenKeepingAlive(...args) {
  if (this.keepAliveTimeout > 0 && this.keepAliveTimeout < KEEP_ALIVE_MS) {
    this.keepAliveTimeout = KEEP_ALIVE_MS;
    // A request's headers may take as long as the idle wait before it (Node's advice: more).
    if (this.headersTimeout > 0 && this.headersTimeout <= KEEP_ALIVE_MS)
      this.headersTimeout = KEEP_ALIVE_MS + 1_000;
  }
  return listen.apply(this, args);
};
