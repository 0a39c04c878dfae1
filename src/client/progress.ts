import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { PayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { createLogUpdate } from 'log-update';
import { PROGRESS_DEFAULTS } from '../config.js';
import { videoWorkflowId } from '../core/batch-input.js';
import {
  advance,
  emptyTally,
  liveLines,
  plainLines,
  statusLineDue,
  type ActivityView,
  type PlainState,
  type ProgressSnapshot,
} from '../core/progress-view.js';
import { progressQuery } from '../workflows/definitions.js';

type Out = (line: string) => void;

/** Where progress goes: a live block on a terminal, or plain lines. */
export interface ProgressScreen {
  /** A line that stays (above the live block, when there is one). */
  line: Out;
  show(snapshot: ProgressSnapshot): void;
  /** Takes the live block away; lines still print after. */
  close(): void;
  /**
   * Whether a snapshot taken at `at` needs each video's activities (a describe per video
   * in flight, the costly part of a look: about 1.4 CPU s a minute with 4 in flight).
   */
  wantsActivities(at: number): boolean;
}

/** Lines for pipes, files and CI: the permanent lines and a status line now and then; no escape codes. */
export function plainScreen(out: Out, quietMs: number = PROGRESS_DEFAULTS.plainStatusEveryMs): ProgressScreen {
  let state: PlainState = { tally: emptyTally(), lastPrintAt: 0, statusShown: false };
  return {
    line: out,
    show(snapshot) {
      const shown = plainLines(state, snapshot, quietMs);
      state = shown.state;
      for (const line of shown.lines) out(line);
    },
    close: () => undefined,
    // Only status lines name what each video is doing.
    wantsActivities: (at) => statusLineDue(state, at, quietMs),
  };
}

/** On a terminal: finished videos scroll above a block redrawn in place (log-update). */
export function liveScreen(stream: NodeJS.WriteStream): ProgressScreen {
  const draw = createLogUpdate(stream);
  let tally = emptyTally();
  let frame: string | null = null;
  const line: Out = (text) => {
    draw.persist(`${text}\n`);
    if (frame !== null) draw(frame);
  };
  return {
    line,
    show(snapshot) {
      const shown = advance(tally, snapshot);
      tally = shown.tally;
      if (shown.lines.length > 0) draw.persist(`${shown.lines.join('\n')}\n`);
      frame = liveLines(tally, snapshot).join('\n');
      draw(frame);
    },
    close() {
      if (frame === null) return;
      frame = null;
      draw.clear();
      draw.done();
    },
    wantsActivities: () => true,
  };
}

/**
 * A live block when stdout is a terminal; plain lines when it is not (a pipe, a file,
 * nohup) and with --log-level debug or trace, whose log lines would tear the block.
 */
export function progressScreen(out: Out, logLevel: string): ProgressScreen {
  const debugging = logLevel === 'debug' || logLevel === 'trace';
  return process.stdout.isTTY === true && !debugging ? liveScreen(process.stdout) : plainScreen(out);
}

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
