import type { WorkflowHandle } from '@temporalio/client';
import type { BatchProgress, FinishedEntry } from '../core/batch-input.js';
import { plural } from '../core/report.js';
import { progressQuery } from '../workflows/definitions.js';

const POLL_MS = 1_000;
const QUIET_STATUS_EVERY_MS = 30_000;

export function describeFinished(entry: FinishedEntry, total: number): string {
  const clips = entry.clips > 0 ? `, ${plural(entry.clips, 'clip')}` : '';
  const what =
    entry.status === 'succeeded'
      ? `succeeded, ${plural(entry.clips, 'clip')}`
      : `${entry.status}${entry.errorType ? ` (${entry.errorType})` : ''}${clips}: ${entry.reason ?? ''}`;
  return `[${entry.seq}/${total}] ${entry.videoId}: ${what}`;
}

export function describeProgress(progress: BatchProgress): string {
  const counts = progress.counts;
  const extra = [
    counts.failed > 0 ? `${counts.failed} failed` : null,
    counts.partial > 0 ? `${counts.partial} partial` : null,
    counts.cancelled > 0 ? `${counts.cancelled} cancelled` : null,
  ].filter(Boolean);
  const paused = progress.paused
    ? `; downloads paused until ${new Date(progress.paused.until).toLocaleTimeString()} (${progress.paused.errorType})`
    : '';
  return (
    `${progress.done}/${progress.total} done, ${progress.inFlight.length} in flight, ${plural(progress.clips, 'clip')}` +
    (extra.length > 0 ? `, ${extra.join(', ')}` : '') +
    paused
  );
}

/** Prints each finished video once, and a status line when nothing happened for a while. */
export function followProgress(handle: WorkflowHandle, out: (line: string) => void) {
  let lastSeq = 0;
  let lastPrint = Date.now();
  let announced = false;
  let lastPause = 0;
  let abandonedShown = false;
  const show = async () => {
    const progress = await handle.query(progressQuery).catch(() => null);
    if (!progress) return;
    if (progress.paused && progress.paused.until !== lastPause) {
      lastPause = progress.paused.until;
      const { paused } = progress;
      out(
        `vstream: downloads paused until ${new Date(paused.until).toLocaleTimeString()} (pause ${paused.pause} of ${paused.maxPauses}, ${paused.errorType}: ${paused.message})`,
      );
    }
    if (progress.abandoned && !abandonedShown) {
      abandonedShown = true;
      out(`vstream: ${progress.abandoned.message}; the remaining videos fail (--retry-failed takes them up later)`);
    }
    if (!announced && progress.phase !== 'preparing') {
      announced = true;
      const rejected = progress.rejectedLines > 0 ? `, ${plural(progress.rejectedLines, 'URL line')} rejected` : '';
      out(`vstream: ${plural(progress.total, 'video')}${rejected}; ${progress.done} done`);
    }
    for (const entry of progress.recent.filter((e) => e.seq > lastSeq)) {
      out(describeFinished(entry, progress.total));
      lastSeq = entry.seq;
      lastPrint = Date.now();
    }
    if (Date.now() - lastPrint > QUIET_STATUS_EVERY_MS) {
      lastPrint = Date.now();
      out(`vstream: ${describeProgress(progress)}`);
    }
  };
  const timer = setInterval(() => void show(), POLL_MS);
  return {
    /** Stops polling, after one last look so the latest videos are shown. */
    async stop(flush: boolean): Promise<void> {
      clearInterval(timer);
      if (flush) await show();
    },
  };
}
