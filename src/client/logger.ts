import { Writable } from 'node:stream';
import pino, { type Level, type Logger } from 'pino';
import { SDK_LOG_SOURCE } from '../config.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const HIDDEN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/**
 * Turns pino's JSON lines into one readable line each, for the terminal. With a log file,
 * the Temporal SDK's own lines (connection retries, activity failures with task tokens) go
 * there only. Events (level info) reach the terminal only when debugging.
 */
function humanLines(out: NodeJS.WritableStream, sdkToFileOnly: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (!text) continue;
        try {
          const entry = JSON.parse(text) as Record<string, unknown>;
          if (sdkToFileOnly && entry.source === SDK_LOG_SOURCE) continue;
          const fields = Object.entries(entry)
            .filter(([k]) => !HIDDEN_FIELDS.has(k))
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
          out.write(
            `vstream ${LEVEL_NAMES[entry.level as number] ?? 'log'}: ${String(entry.msg ?? '')}${fields.length ? ` (${fields.join(' ')})` : ''}\n`,
          );
        } catch {
          out.write(`${text}\n`);
        }
      }
      done();
    },
  });
}

/**
 * Everything at `level` goes to the log (a file, or a stream such as a worker's piped
 * stdout) as JSON, the events of src/core/log-events.ts included; the terminal gets
 * readable lines for warnings and errors (and for everything when debugging).
 */
export function createLogger(level: Level, log?: string | NodeJS.WritableStream): Logger {
  const terminalLevel: Level = level === 'debug' || level === 'trace' ? level : 'warn';
  const streams: pino.StreamEntry[] = [{ level: terminalLevel, stream: humanLines(process.stderr, Boolean(log)) }];
  if (log) {
    const stream = typeof log === 'string' ? pino.destination({ dest: log, sync: true, mkdir: true }) : log;
    streams.push({ level, stream });
  }
  const minimum = LOG_LEVELS.find((l) => l === level || l === terminalLevel) ?? level;
  return pino({ level: minimum, base: undefined }, pino.multistream(streams));
}
