// The TLS handshake beside the client's connect: a local TLS server that requires a client
// certificate (as a Temporal frontend with mTLS), one that does not, and an address nobody
// answers on; and the parsing of Temporal addresses.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { after, before, test } from 'node:test';
import type { StackTlsFiles } from '../../src/core/temporal-stack.js';
import { hostAndPort } from '../../src/core/temporal-address.js';
import { connectionFailureLine } from '../../src/core/connection-errors.js';
import { connectClient, ServerTlsAlert, serverTlsAlert } from '../../src/tools/client-connection.js';
import { makeTlsFiles } from '../helpers/certificates.js';
import { tempDir } from '../helpers/e2e.js';

let files: StackTlsFiles;
let ca: Buffer;
let clientPair: { crt: Buffer; key: Buffer };
const servers: Server[] = [];
let mtlsAddress: string;
let tlsAddress: string;

/** A TLS server on loopback that speaks first once the handshake is done, as an HTTP/2 server does. */
async function tlsServer(requireClientCertificate: boolean): Promise<string> {
  const server = createServer(
    {
      key: await readFile(files.serverKey),
      cert: await readFile(files.serverCert),
      ca,
      requestCert: requireClientCertificate,
      rejectUnauthorized: requireClientCertificate,
      ALPNProtocols: ['h2'],
    },
    (socket) => socket.end('settings'),
  );
  servers.push(server);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  files = await makeTlsFiles(await tempDir('tls-alert'));
  ca = await readFile(files.ca);
  clientPair = { crt: await readFile(files.clientCert), key: await readFile(files.clientKey) };
  mtlsAddress = await tlsServer(true);
  tlsAddress = await tlsServer(false);
});

after(() => servers.forEach((server) => server.close()));

test('a server requiring a client certificate, given none: its alert, which the CLI words as pass --tls-cert and --tls-key', async () => {
  const alert = await serverTlsAlert(mtlsAddress, { serverRootCACertificate: ca }, 5_000);
  assert.ok(alert instanceof ServerTlsAlert, String(alert));
  assert.equal(
    connectionFailureLine(alert, { tls: true, clientCertificate: false }),
    'the Temporal server requires a client certificate (mTLS): pass --tls-cert and --tls-key',
  );
});

test('given the client certificate, or against a server that asks for none: no alert', async () => {
  assert.equal(
    await serverTlsAlert(mtlsAddress, { serverRootCACertificate: ca, clientCertPair: clientPair }, 5_000),
    null,
  );
  assert.equal(await serverTlsAlert(tlsAddress, { serverRootCACertificate: ca }, 5_000), null);
});

test('a server that never answers the handshake: no verdict, no alert, within the wait', async () => {
  const silent = createNetServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const started = Date.now();
    assert.equal(await serverTlsAlert(`127.0.0.1:${(silent.address() as AddressInfo).port}`, {}, 300), null);
    assert.ok(Date.now() - started < 2_000);
  } finally {
    silent.close();
  }
});

test("connectClient fails at once with the server's alert rather than after the SDK's connect deadline", async () => {
  const started = Date.now();
  await assert.rejects(
    connectClient({ address: mtlsAddress, tls: { serverRootCACertificate: ca }, connectTimeout: 4_000 }),
    (err: Error) => err instanceof ServerTlsAlert && /certificate required/.test(err.message),
  );
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
});

test('Temporal addresses: host:port, [IPv6]:port, a bare host on the SDK port', () => {
  assert.deepEqual(hostAndPort('127.0.0.1:7234'), { host: '127.0.0.1', port: 7234 });
  assert.deepEqual(hostAndPort('ns.acct.tmprl.cloud:7233'), { host: 'ns.acct.tmprl.cloud', port: 7233 });
  assert.deepEqual(hostAndPort('[::1]:7000'), { host: '::1', port: 7000 });
  assert.deepEqual(hostAndPort('temporal'), { host: 'temporal', port: 7233 });
  assert.throws(() => hostAndPort('::1:7000'), /not a host:port address/);
});
