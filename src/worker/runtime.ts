import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';

let installed = false;

/** The `source` field of every line the Temporal SDK logs (the terminal leaves them to the log file). */
export const SDK_LOG_SOURCE = 'temporal';

/**
 * Routes the SDK's logs into our logger (warnings and up by default: the SDK is
 * chatty), and leaves signal handling to the CLI, which decides how to stop.
 */
export function installRuntime(logger: PinoLogger, level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    shutdownSignals: [],
    // Core's own (Rust) lines too, instead of raw ANSI lines on stderr.
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
    logger: new DefaultLogger(level, (entry) => {
      // Host-queue workers poll activities only, by design.
      if (entry.message.startsWith('No workflows registered')) return;
      const fields = { ...(entry.meta ?? {}), source: SDK_LOG_SOURCE };
      const method =
        entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
      logger[method](fields, entry.message);
    }),
  });
}
