// The shared download backoff, both ends of it. The download activity raises a rate
// limit or bot check as non-retryable (src/core/errors.ts SHARED_BACKOFF_TYPES); the
// video tells its batch (DownloadGate); the batch decides (src/core/backoff.ts) and
// tells every video in flight (BatchBackoff); videos hold their downloads until the
// pause ends, then try again.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  metricMeter,
  setHandler,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { BatchContinuation, DownloadBlocked, DownloadsAbandoned, DownloadsPaused } from '../core/batch-input.js';
import { onDownloadBlocked, pauseInEffect, type BackoffLimits, type BackoffState } from '../core/backoff.js';
import { ErrorType, SHARED_BACKOFF_TYPES } from '../core/errors.js';
import { createInstruments, type Instruments } from '../core/metrics.js';
import {
  eventFields,
  secondsSince,
  type EventIds,
  type LogEventFields,
  type LogEventName,
} from '../core/log-events.js';
import {
  downloadBlockedSignal,
  downloadsAbandonedSignal,
  downloadsPausedSignal,
  downloadsPausedUntilQuery,
  downloadSucceededSignal,
} from './definitions.js';

/** A workflow's event line: `log` skips it on replay; the worker's runtime logger writes it (src/worker/runtime.ts). */
function logEvent<K extends LogEventName>(name: K, ids: EventIds, fields: LogEventFields[K], msg: string): void {
  log.info(msg, eventFields(name, ids, fields));
}

export type Broadcast = <T>(signal: SignalDefinition<[T]>, payload: T) => Promise<void>;

/**
 * A pause on the workflow worker's metrics: the SDK's workflow meter records nothing on
 * replay and adds no command to the history (no patch needed), so each pause counts once
 * per worker that decided it. The gauges need no reset: paused while `until` is ahead.
 */
function recordPause(metrics: Instruments, paused: DownloadsPaused): void {
  metrics.backoffPauses.add(1, { error_type: paused.errorType });
  metrics.downloadsPausedSince.set(Date.now() / 1000);
  metrics.downloadsPausedUntil.set(paused.until / 1000);
}

/** The batch's end: counts pauses in a row, pauses or gives up every download, tells the videos. */
export class BatchBackoff {
  private state: BackoffState;
  private readonly metrics = createInstruments(metricMeter);

  constructor(
    private readonly batchId: string,
    private readonly limits: BackoffLimits,
    carried: BatchContinuation | undefined,
    private readonly tellVideos: Broadcast,
  ) {
    this.state = {
      pauses: carried?.pauses ?? 0,
      paused: carried?.paused ?? null,
      abandoned: carried?.abandoned ?? null,
    };
  }

  /** The pause running now, if any. */
  pause(): DownloadsPaused | null {
    return pauseInEffect(this.state, Date.now());
  }

  get abandoned(): DownloadsAbandoned | null {
    return this.state.abandoned;
  }

  /** Videos started now tell the batch of each successful download (it is counting pauses). */
  get countingPauses(): boolean {
    return this.state.pauses > 0;
  }

  /** The downloadBlocked signal. */
  async blocked(report: DownloadBlocked): Promise<void> {
    const { state, decision } = onDownloadBlocked(this.state, report, Date.now(), this.limits);
    this.state = state;
    // Batch-wide events name the video whose download was blocked.
    const ids = { batchId: this.batchId, videoId: report.videoId };
    if (decision.kind === 'abandon') {
      const { errorType, message } = decision.abandoned;
      logEvent('downloads.abandoned', ids, { errorType, message }, `downloads given up: ${errorType}: ${message}`);
      await this.tellVideos(downloadsAbandonedSignal, decision.abandoned);
    } else if (decision.kind === 'pause') {
      const { until, pause, maxPauses, errorType, message } = decision.paused;
      const fields = { until: new Date(until).toISOString(), pause, maxPauses, errorType, message };
      logEvent('pause.start', ids, fields, `downloads paused until ${fields.until} (pause ${pause} of ${maxPauses})`);
      recordPause(this.metrics, decision.paused);
      await this.tellVideos(downloadsPausedSignal, decision.paused);
    }
  }

  /** The downloadSucceeded signal. */
  succeeded(): void {
    this.state = { ...this.state, pauses: 0 };
  }

  /** What the next run of the batch carries. */
  carried(): Pick<BatchContinuation, 'pauses' | 'paused' | 'abandoned'> {
    return { ...this.state };
  }
}

export type TellBatch = <T>(signal: SignalDefinition<[T]>, payload: T) => Promise<void>;

/** The video's end: holds its download while the batch pauses them, reports rate limits and successes. */
export class DownloadGate {
  private pausedUntil = 0;
  private abandoned: DownloadsAbandoned | null = null;

  constructor(
    private readonly ids: EventIds & { videoId: string },
    private reportDownloads: boolean,
    private readonly maxAnswerWait: `${number}m`,
    private readonly tellBatch: TellBatch,
  ) {
    setHandler(downloadsPausedSignal, (paused) => {
      this.pausedUntil = Math.max(this.pausedUntil, paused.until);
      this.reportDownloads = true;
    });
    setHandler(downloadsAbandonedSignal, (given) => {
      this.abandoned = given;
    });
    setHandler(downloadsPausedUntilQuery, () => this.pausedUntil);
  }

  /** Runs the download once no pause holds it; a rate limit or bot check makes the batch pause, then it runs again. */
  async download<T>(attempt: () => Promise<T>): Promise<T> {
    for (;;) {
      const heldFrom = Date.now();
      while (this.abandoned === null && Date.now() < this.pausedUntil) {
        await condition(() => this.abandoned !== null, this.pausedUntil - Date.now());
      }
      const given: DownloadsAbandoned | null = this.abandoned;
      if (given) throw ApplicationFailure.nonRetryable(given.message, given.errorType);
      if (Date.now() > heldFrom) {
        const heldSeconds = secondsSince(heldFrom, Date.now());
        logEvent('pause.end', this.ids, { heldSeconds }, `download goes ahead after the pause (held ${heldSeconds} s)`);
      }
      try {
        const result = await attempt();
        if (this.reportDownloads) await this.tellBatch(downloadSucceededSignal, { videoId: this.ids.videoId });
        return result;
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : null;
        if (!(cause instanceof ApplicationFailure) || !SHARED_BACKOFF_TYPES.includes(cause.type ?? '')) throw err;
        // Not this video's fault: the batch pauses every download, then this one is tried again.
        const blockedAt = Date.now();
        const type = cause.type ?? ErrorType.Unknown;
        const blocked = { videoId: this.ids.videoId, errorType: type, message: cause.message };
        await this.tellBatch(downloadBlockedSignal, blocked);
        await condition(() => this.abandoned !== null || this.pausedUntil > blockedAt, this.maxAnswerWait);
      }
    }
  }
}
