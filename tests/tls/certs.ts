import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM certificates and keys made with openssl for one test file. */
export interface TestCerts {
  /** A CA the clients of the CA-signed cases trust. */
  readonly ca: string;
  /** Self-signed for 127.0.0.1: `DEPTH_ZERO_SELF_SIGNED_CERT` for any client. */
  readonly selfSigned: KeyPair;
  /** Signed by `ca` for 127.0.0.1, valid: `UNABLE_TO_VERIFY_LEAF_SIGNATURE` unless `ca` is trusted. */
  readonly signed: KeyPair;
  /** Signed by `ca` for 127.0.0.1, valid only on 1 January 2020: `CERT_HAS_EXPIRED`. */
  readonly expired: KeyPair;
  /** Signed by `ca` for `other.example` only: `ERR_TLS_CERT_ALTNAME_INVALID` at 127.0.0.1. */
  readonly otherHost: KeyPair;
}

export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const LOCAL_SAN = 'subjectAltName=IP:127.0.0.1,DNS:localhost';
const CA_CONFIG = `[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = copy
[ policy_any ]
commonName = supplied
`;

/** Makes the certificates with the openssl command line, in a temporary directory it removes. */
export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'failover-tls-'));
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const read = (file: string) => readFile(join(dir, file), 'utf8');
  try {
    await writeFile(join(dir, 'ca.cnf'), CA_CONFIG);
    await writeFile(join(dir, 'index.txt'), '');
    await writeFile(join(dir, 'serial'), '01\n');
    await openssl(
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'self.key',
      '-out',
      'self.pem',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      LOCAL_SAN,
    );
    await openssl(
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=failover test CA',
    );
    const sign = async (name: string, san: string, dates: string[]) => {
      await openssl(
        'req',
        ...EC,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/CN=${name}`,
        '-addext',
        san,
      );
      await openssl(
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-cert',
        'ca.pem',
        '-keyfile',
        'ca.key',
        '-in',
        `${name}.csr`,
        '-out',
        `${name}.pem`,
        ...dates,
      );
      return { key: await read(`${name}.key`), cert: await read(`${name}.pem`) };
    };
    const signed = await sign('signed', LOCAL_SAN, ['-days', '2']);
    const expired = await sign('expired', LOCAL_SAN, [
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
    ]);
    const otherHost = await sign('other', 'subjectAltName=DNS:other.example', ['-days', '2']);
    return {
      ca: await read('ca.pem'),
      selfSigned: { key: await read('self.key'), cert: await read('self.pem') },
      signed,
      expired,
      otherHost,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An HTTPS server on 127.0.0.1 with `pair`, in front of nothing (it answers 503 if ever reached). */
export interface TlsServer {
  readonly origin: string;
  close(): Promise<void>;
}

export async function startTlsServer(pair: KeyPair): Promise<TlsServer> {
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (_req, res) => {
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
