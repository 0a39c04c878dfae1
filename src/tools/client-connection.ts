// The SDK's client (grpc-js) retries a TLS handshake the server refuses until its connect
// deadline and then says only that it did not connect in time. A handshake of our own
// beside it hears the server's alert (mTLS: "certificate required") at once.
import { connect as tlsConnect } from 'node:tls';
import { Connection, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { CONNECTION_DEFAULTS } from '../config.js';
import { hostAndPort } from '../core/temporal-address.js';

/** A TLS alert the server answered the handshake with: it refuses this client. */
export class ServerTlsAlert extends Error {
  override name = 'ServerTlsAlert';
}

const optionalBuffer = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes) : undefined);

/**
 * The server's alert, or null: it accepted the handshake (sent data), closed without
 * an alert, or gave no verdict in time. Checks only what the server says of this
 * client; whether the server is trusted stays the client's call. `awaited`: the caller
 * waits for the verdict, so it holds the process open; a probe raced beside a
 * connection does not.
 */
export function serverTlsAlert(
  address: string,
  tls: TLSConfig,
  timeoutMs: number = CONNECTION_DEFAULTS.tlsVerdictMs,
  awaited = true,
): Promise<ServerTlsAlert | null> {
  const { host, port } = hostAndPort(address);
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      servername: tls.serverNameOverride ?? (/^[\d.]+$|:/.test(host) ? undefined : host),
      ca: optionalBuffer(tls.serverRootCACertificate),
      cert: optionalBuffer(tls.clientCertPair?.crt),
      key: optionalBuffer(tls.clientCertPair?.key),
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    });
    const verdict = (alert: ServerTlsAlert | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alert);
    };
    const timer = setTimeout(() => verdict(null), timeoutMs);
    if (!awaited) {
      // Beside a connection that may win: neither may keep a finished command waiting.
      timer.unref();
      socket.unref();
    }
    socket.once('data', () => verdict(null));
    socket.once('close', () => verdict(null));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      verdict(/^ERR_SSL_.*ALERT/.test(err.code ?? '') ? new ServerTlsAlert(err.message) : null),
    );
  });
}

/**
 * Connection.connect; with TLS, failing as soon as the server refuses this client's
 * handshake, with the server's alert.
 */
export async function connectClient(options: ConnectionOptions & { address: string }): Promise<Connection> {
  const connecting = Connection.connect(options);
  if (!options.tls) return connecting;
  const tls = options.tls === true ? {} : options.tls;
  const refused = serverTlsAlert(options.address, tls, CONNECTION_DEFAULTS.tlsVerdictMs, false).then((alert) =>
    alert ? Promise.reject(alert) : connecting,
  );
  return Promise.race([connecting, refused]);
}

/**
 * NativeConnection.connect (workers); with TLS, a failure is replaced by the server's
 * alert when it sends one: the worker's transport (tonic) words a refused handshake
 * differently from run to run ("connection closed", "broken pipe", the alert itself).
 */
export async function connectNative(options: NativeConnectionOptions & { address: string }): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(options);
  } catch (err) {
    const tls = options.tls;
    const alert = tls ? await serverTlsAlert(options.address, tls === true ? {} : tls) : null;
    throw alert ?? err;
  }
}
