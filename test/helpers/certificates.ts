// Certificates for an mTLS stack, made with openssl: a CA, a server certificate for the
// loopback address (server and client auth: the server's services present it to each
// other too) and a client certificate. EC P-256 keys in PKCS#8, short-lived.
import { join } from 'node:path';
import { execa } from 'execa';
import { TLS_SERVER_NAME, type StackTlsFiles } from '../../src/core/temporal-stack.js';

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

export async function makeTlsFiles(dir: string): Promise<StackTlsFiles> {
  const file = (name: string) => join(dir, name);
  await execa('openssl', [
    'req',
    '-x509',
    ...KEY,
    '-subj',
    '/CN=vstream test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  ]);
  // `req -x509 -CA`: signed by the CA in one step (OpenSSL 3).
  const signed = (name: string, subject: string, extensions: string[]) =>
    execa('openssl', [
      'req',
      '-x509',
      ...KEY,
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-subj',
      subject,
      ...extensions.flatMap((extension) => ['-addext', extension]),
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.pem`),
    ]);
  await signed('server', `/CN=${TLS_SERVER_NAME}`, [
    `subjectAltName=IP:127.0.0.1,DNS:${TLS_SERVER_NAME}`,
    'basicConstraints=critical,CA:FALSE',
    'extendedKeyUsage=serverAuth,clientAuth',
  ]);
  await signed('client', '/CN=vstream client', ['basicConstraints=critical,CA:FALSE', 'extendedKeyUsage=clientAuth']);
  return {
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}
