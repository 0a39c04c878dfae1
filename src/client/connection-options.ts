import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { GivenSecurity } from '../core/connection-errors.js';
import { UsageError } from './exit-codes.js';

/** How to reach a real cluster: mTLS files and/or a Temporal Cloud API key. */
export interface SecurityOptions {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  apiKey?: string;
}

/** What Connection.connect and NativeConnection.connect take. */
export interface ConnectionSecurity {
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/** Flags first, then VSTREAM_* and the Temporal CLI's TEMPORAL_* variables. */
export function securityFromEnv(flags: SecurityOptions, env: NodeJS.ProcessEnv = process.env): SecurityOptions {
  const pick = (flag: string | undefined, name: string) => flag ?? env[`VSTREAM_${name}`] ?? env[`TEMPORAL_${name}`];
  return {
    tlsCert: pick(flags.tlsCert, 'TLS_CERT'),
    tlsKey: pick(flags.tlsKey, 'TLS_KEY'),
    tlsCa: pick(flags.tlsCa, 'TLS_CA'),
    apiKey: pick(flags.apiKey, 'API_KEY'),
  };
}

function read(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

export function connectionSecurity(options: SecurityOptions): ConnectionSecurity {
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey))
    throw new UsageError('--tls-cert and --tls-key go together (mTLS)');
  const hasTls = Boolean(options.tlsCert || options.tlsCa);
  const tls: TLSConfig | undefined = hasTls
    ? {
        ...(options.tlsCert && options.tlsKey
          ? { clientCertPair: { crt: read(options.tlsCert, '--tls-cert'), key: read(options.tlsKey, '--tls-key') } }
          : {}),
        ...(options.tlsCa ? { serverRootCACertificate: read(options.tlsCa, '--tls-ca') } : {}),
      }
    : undefined;
  // An API key travels over TLS only (Temporal Cloud).
  return {
    ...(tls ? { tls } : options.apiKey ? { tls: true } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  };
}

/** What connectionFailureLine needs to know of the options a connection was made with. */
export function givenSecurity(security: ConnectionSecurity): GivenSecurity {
  return {
    tls: Boolean(security.tls),
    clientCertificate: typeof security.tls === 'object' && Boolean(security.tls.clientCertPair),
  };
}
