// What to tell a user whose embedded Temporal server stopped before it was ready, from
// the end of its log. Pure: src/server/dev-server.ts reads the log.

/** The embedded server stopped before it was ready: a known error, printed as one line. */
export class DevServerStartError extends Error {
  constructor(
    message: string,
    /** One of its ports was taken between the choice and the bind: starting again may succeed. */
    readonly portClash = false,
  ) {
    super(message);
  }
}

/** The server's own reason: the last line of its log that says what failed. */
export function serverFailureReason(logTail: string): string | null {
  const lines = logTail
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const failed = lines.filter((line) => /\b(error|failed|fatal|panic)\b/i.test(line)).at(-1);
  return failed ?? null;
}

/**
 * Whether the server stopped because a port it was to listen on was taken. Its ports are
 * chosen free, then bound a moment later; meanwhile any outgoing connection on the host
 * (the server's own, between its services) may be given the same port by the kernel.
 */
export function isPortClash(logTail: string): boolean {
  return /address already in use/i.test(serverFailureReason(logTail) ?? '');
}

/**
 * One line: the server stopped, why (from its log), where its log is, and what to do
 * when the reason says its database was cut off while it was being created (a run
 * killed in its first second on a new output folder): that database holds no history.
 */
export function devServerStartFailure(logTail: string, logFile: string, dbFile: string): string {
  const reason = serverFailureReason(logTail);
  const head = `the embedded Temporal server stopped while starting${reason ? `: ${reason}` : ''} (log: ${logFile})`;
  if (reason && /no such table/i.test(reason)) {
    return (
      `${head}. Its database ${dbFile} was cut off while it was being created and holds no history: ` +
      `move ${dbFile} and its -wal and -shm files aside, then run the same command again`
    );
  }
  return head;
}
