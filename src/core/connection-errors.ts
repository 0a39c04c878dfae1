// What a failed connection to the Temporal server means, in one line that says what to
// pass: the SDK's errors are raw (tonic/rustls for workers, gRPC for clients) and carry
// a stack. Matched on the error's name and message, as both transports word them.

/** The security options the command was given (flags or environment). */
export interface GivenSecurity {
  tls: boolean;
  clientCertificate: boolean;
}

interface ConnectionRule {
  pattern: RegExp;
  line: string | ((given: GivenSecurity) => string);
}

// Order matters: the first rule that matches wins.
const CONNECTION_RULES: ConnectionRule[] = [
  {
    pattern: /CertificateRequired|certificate required|alert number 116/i,
    line: 'the Temporal server requires a client certificate (mTLS): pass --tls-cert and --tls-key',
  },
  {
    pattern: /UnknownCA|BadCertificate|alert unknown ca|alert bad certificate|alert number 4[28]/i,
    line: 'the Temporal server refused the client certificate (--tls-cert): it is not signed by a CA the server trusts',
  },
  {
    pattern:
      /UnknownIssuer|self[- ]signed certificate|unable to (get local issuer|verify the first) certificate|certificate verify failed/i,
    line: "the Temporal server's certificate is not trusted: pass --tls-ca with the CA that signed it",
  },
  {
    pattern: /NotValidForName|Hostname\/IP does not match/i,
    line: "the Temporal server's certificate does not name the address in --temporal-address",
  },
  {
    pattern: /InvalidContentType|CorruptMessage|wrong version number|packet length too long/i,
    line: 'the Temporal server does not speak TLS: leave out the --tls-* options',
  },
  {
    pattern: /Connection refused|ECONNREFUSED/i,
    line: 'no Temporal server listens at --temporal-address (connection refused)',
  },
  {
    // A server requiring mTLS may close the connection rather than send its alert first.
    pattern: /connection closed|stream closed because of a broken pipe/i,
    line: (given) =>
      !given.tls
        ? 'the Temporal server closed the connection: if it requires TLS, pass --tls-ca (and --tls-cert and --tls-key for mTLS)'
        : !given.clientCertificate
          ? 'the Temporal server closed the TLS connection, given no client certificate: it likely requires one (mTLS): pass --tls-cert and --tls-key'
          : 'the Temporal server closed the TLS connection: check the --tls-cert, --tls-key and --tls-ca files',
  },
  {
    pattern: /Failed to connect before the deadline/i,
    line: 'the Temporal server did not answer in time: check --temporal-address, and the --tls-* options if it requires TLS',
  },
];

/**
 * The errors of a connection that failed: the worker's transport, the client's connect or
 * call, the server's TLS alert heard beside the client's connect (src/tools/client-connection.ts).
 */
const CONNECTION_ERROR =
  /^TransportError:|Failed to connect before the deadline|^\w*Error: 14 UNAVAILABLE|^ServerTlsAlert:/;

/** One line for an error connecting to the Temporal server; null when the error is not one. */
export function connectionFailureLine(error: { name?: string; message?: string }, given: GivenSecurity): string | null {
  const text = `${error.name ?? ''}: ${error.message ?? ''}`;
  if (!CONNECTION_ERROR.test(text)) return null;
  const rule = CONNECTION_RULES.find((candidate) => candidate.pattern.test(text));
  if (!rule) return null;
  return typeof rule.line === 'string' ? rule.line : rule.line(given);
}
