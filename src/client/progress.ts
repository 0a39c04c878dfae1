import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { PayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { PROGRESS_DEFAULTS } from '../config.js';
import { videoWorkflowId } from '../core/batch-input.js';
import { type ActivityView, type ProgressSnapshot } from '../core/progress-view.js';
import type { ProgressScreen } from './progress-screen.js';
import { progressQuery } from '../workflows/definitions.js';

const ACTIVITY_STATES: Record<number, ActivityView['state']> = { 1: 'scheduled', 2: 'started', 3: 'cancelRequested' };

/** A video workflow's pending activities, with their heartbeat details decoded. */
export function pendingActivities(
  description: WorkflowExecutionDescription,
  converter: PayloadConverter,
): ActivityView[] {
  return (description.raw.pendingActivities ?? []).map((pending) => {
    const payload = pending.heartbeatDetails?.payloads?.[0];
    let details: unknown = null;
    try {
      details = payload ? converter.fromPayload(payload) : null;
    } catch {
      // details in a format this client cannot read: shown without them
    }
    const failure = pending.lastFailure;
    return {
      type: pending.activityType?.name ?? 'activity',
      state: ACTIVITY_STATES[Number(pending.state)] ?? 'scheduled',
      attempt: pending.attempt ?? 1,
      lastFailureType: failure ? (failure.applicationFailureInfo?.type ?? failure.message ?? 'failure') : null,
      nextAttemptAt: optionalTsToMs(pending.nextAttemptScheduleTime) ?? null,
      details,
    };
  });
}

/**
 * Snapshots of a batch, wherever it runs: its progress query and, for each video in
 * flight, its pending activities. A failed query gives no snapshot; a failed describe
 * keeps what that video showed before.
 */
export function batchSnapshots(
  client: Client,
  batchId: string,
  wantsActivities: (at: number) => boolean = () => true,
): () => Promise<ProgressSnapshot | null> {
  const handle = client.workflow.getHandle(batchId);
  const converter = client.options.loadedDataConverter.payloadConverter;
  let known: Record<string, ActivityView[]> = {};
  return async () => {
    const at = Date.now();
    const progress = await handle.query(progressQuery).catch(() => null);
    if (!progress) return null;
    if (!wantsActivities(at)) return { at, progress, activities: {} };
    const described = await Promise.all(
      progress.inFlight.map((videoId) =>
        client.workflow
          .getHandle(videoWorkflowId(progress.batchId, videoId))
          .describe()
          .then((d) => pendingActivities(d, converter))
          .catch(() => known[videoId] ?? null),
      ),
    );
    const activities: Record<string, ActivityView[]> = {};
    progress.inFlight.forEach((videoId, i) => {
      const views = described[i];
      if (views) activities[videoId] = views;
    });
    known = activities;
    return { at, progress, activities };
  };
}

/** `promise`, or `fallback` once `deadline` (epoch ms) passes first; no timer outlives it. */
export function settleBy<T>(promise: Promise<T>, deadline: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Shows a snapshot every poll until stopped; a snapshot that fails is skipped. */
export function followProgress(
  snapshots: () => Promise<ProgressSnapshot | null>,
  screen: ProgressScreen,
  pollMs: number = PROGRESS_DEFAULTS.pollMs,
) {
  let looking: Promise<boolean> | null = null;
  let stopped = false;
  /** Resolves true when a snapshot was shown. */
  const look = (): Promise<boolean> => {
    looking ??= snapshots()
      .then((snapshot) => {
        if (!snapshot || stopped) return false;
        screen.show(snapshot);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        looking = null;
      });
    return looking;
  };
  void look();
  const timer = setInterval(() => void look(), pollMs);
  return {
    /**
     * Stops polling, after one last look so the latest videos are shown; a busy machine
     * can fail a query now and then, and the last lines are the ones a user waits for.
     */
    async stop(flush: boolean): Promise<void> {
      clearInterval(timer);
      if (flush) {
        // Bounded: a look whose server went away mid-call (an embedded one ends with its
        // run) may not settle for a long while.
        const deadline = Date.now() + PROGRESS_DEFAULTS.finalLookTries * pollMs;
        await settleBy(looking ?? Promise.resolve(false), deadline, false);
        for (let tries = 0; tries < PROGRESS_DEFAULTS.finalLookTries && Date.now() < deadline; tries++) {
          if (await settleBy(look(), deadline, false)) break;
          await new Promise((resolve) => setTimeout(resolve, pollMs));
        }
      }
      // Without a flush, a look still waiting (for a server gone, say) shows nothing.
      stopped = true;
      screen.close();
    },
  };
}
