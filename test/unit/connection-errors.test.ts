// The SDK's connection errors, as the cluster's mTLS tests saw them, each as one line saying what to pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectionFailureLine, type GivenSecurity } from '../../src/core/connection-errors.js';

const PLAIN: GivenSecurity = { tls: false, clientCertificate: false };
const CA_ONLY: GivenSecurity = { tls: true, clientCertificate: false };
const MTLS: GivenSecurity = { tls: true, clientCertificate: true };

/** The worker's (tonic) error for a failed first call, with its transport's source. */
const transport = (source: string) => ({
  name: 'TransportError',
  message: `Failed to call GetSystemInfo: code: 'Unknown error', message: "transport error", source: tonic::transport::Error(Transport, ${source})`,
});
const alert = (name: string) =>
  transport(`hyper::Error(Io, Custom { kind: InvalidData, error: "received fatal alert: ${name}" }))`);
const closed = transport('hyper::Error(Canceled, "connection closed"))');

const line = (error: { name?: string; message?: string }, given: GivenSecurity) => {
  const result = connectionFailureLine(error, given);
  assert.ok(result, `${error.name}: ${error.message}`);
  assert.doesNotMatch(result, /\n/);
  return result;
};

test('mTLS required, no client certificate: the alert, or the connection closed before it, say pass --tls-cert and --tls-key', () => {
  assert.match(
    line(alert('CertificateRequired'), CA_ONLY),
    /requires a client certificate.*pass --tls-cert and --tls-key/,
  );
  assert.match(line(closed, CA_ONLY), /requires one \(mTLS\): pass --tls-cert and --tls-key/);
  // Seen once in CI from the same server: the handshake's end worded as a broken pipe.
  const brokenPipe = transport(
    'hyper::Error(Io, Custom { kind: BrokenPipe, error: "stream closed because of a broken pipe" }))',
  );
  assert.match(line(brokenPipe, CA_ONLY), /requires one \(mTLS\): pass --tls-cert and --tls-key/);
});

test('a connection closed: without TLS options, pass --tls-ca; with all of them, check the files', () => {
  assert.match(line(closed, PLAIN), /if it requires TLS, pass --tls-ca/);
  assert.match(line(closed, MTLS), /check the --tls-cert, --tls-key and --tls-ca files/);
});

test('a client certificate of another CA, an untrusted server certificate, no answer in time', () => {
  assert.match(line(alert('UnknownCA'), MTLS), /refused the client certificate/);
  const untrusted = {
    name: 'TransportError',
    message:
      'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))',
  };
  assert.match(line(untrusted, MTLS), /not trusted: pass --tls-ca/);
  assert.match(
    line({ name: 'Error', message: 'Failed to connect before the deadline' }, PLAIN),
    /did not answer in time/,
  );
});

test('errors that are not a failed connection keep their own report', () => {
  assert.equal(
    connectionFailureLine({ name: 'Error', message: 'Connection refused, certificate required' }, PLAIN),
    null,
  );
  assert.equal(connectionFailureLine({ name: 'TypeError', message: 'x is undefined' }, PLAIN), null);
  assert.equal(connectionFailureLine({}, PLAIN), null);
});

test("the server's TLS alert heard beside the client's connect (Node's words) gives the same lines", () => {
  const nodeAlert = (words: string, number: number) => ({
    name: 'ServerTlsAlert',
    message: `805CE518707F0000:error:0A00045C:SSL routines:ssl3_read_bytes:${words}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number ${number}\n`,
  });
  assert.equal(
    line(nodeAlert('tlsv13 alert certificate required', 116), CA_ONLY),
    'the Temporal server requires a client certificate (mTLS): pass --tls-cert and --tls-key',
  );
  assert.match(line(nodeAlert('tlsv1 alert unknown ca', 48), MTLS), /refused the client certificate/);
  assert.match(line(nodeAlert('sslv3 alert bad certificate', 42), MTLS), /refused the client certificate/);
});
