'use strict';
// Starts s3rver for @failover/testkit's startS3Server and prints one JSON line on stdout:
// {"event":"ready","port":N} once it listens. Usage:
//   node --openssl-legacy-provider --require ./exit-with-parent.cjs s3rver.cjs <directory>
// The parent runs it with --openssl-legacy-provider because s3rver encrypts ListObjectsV2
// continuation tokens with a DES cipher that OpenSSL 3 only offers through its legacy provider.
const S3rver = require('s3rver');
const { installFixes } = require('./s3rver-fixes.cjs');

const directory = process.argv[2];
if (!directory) {
  process.stderr.write('usage: s3rver.cjs <directory>\n');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  // Path-style only: a request's Host (e.g. aws-us-east-1.failover.test through a fault proxy)
  // must never be read as a bucket name.
  vhostBuckets: false,
});

// Key limits, conditional writes, CopySource decoding, atomic writes: see s3rver-fixes.cjs.
installFixes(server, directory);

server.run().then(
  (address) => {
    process.stdout.write(`${JSON.stringify({ event: 'ready', port: address.port })}\n`);
  },
  (err) => {
    process.stderr.write(`s3rver failed to start: ${err?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
