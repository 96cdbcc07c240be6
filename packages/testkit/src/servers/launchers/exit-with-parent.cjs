'use strict';
// Preloaded into every server child process that @failover/testkit starts (`node --require`).
// The parent holds the other end of this process's stdin pipe: when the parent exits, even when it
// is killed without running its exit handlers, the pipe ends and this server exits with it, so no
// emulator is ever left running after a test run.
const exit = () => process.exit(0);
process.stdin.on('end', exit);
process.stdin.on('close', exit);
process.stdin.on('error', exit);
process.stdin.resume();
