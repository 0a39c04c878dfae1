// Reading the log's event lines (src/core/log-events.ts) in end-to-end tests.
import type { LogEventName } from '../../src/core/log-events.js';

export type EventLine = Record<string, unknown> & {
  event: LogEventName;
  batchId: string;
  videoId: string | null;
  msg: string;
};

/** The event lines of a log: JSON lines with an `event`; other lines (a worker's own text) are skipped. */
export function eventLines(text: string): EventLine[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const entry = JSON.parse(line) as Record<string, unknown>;
    return typeof entry.event === 'string' ? [entry as EventLine] : [];
  });
}

/** Whether `names` occur in `events` in this order (others may come between). */
export function inOrder(events: EventLine[], names: LogEventName[]): boolean {
  let next = 0;
  for (const { event } of events) if (event === names[next]) next += 1;
  return next === names.length;
}
