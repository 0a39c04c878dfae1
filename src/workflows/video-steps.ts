// Steps every version of the video workflow shares (0.2+ in video.ts, 0.1 in legacy/v01.ts).
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  TimeoutFailure,
  type SignalDefinition,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { VerifyClipInput } from '../activities/index.js';
import type { VideoInput } from '../core/batch-input.js';
import { ErrorType } from '../core/errors.js';
import type { VideoResult } from '../core/types.js';
import { videoFinishedReport, type Failure } from '../core/video-result.js';
import { videoFinishedSignal } from './definitions.js';

/** The failure that ended an activity for good, as the report shows it. */
export function describeFailure(err: unknown): Failure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? ErrorType.Unknown, message: cause.message };
  if (cause instanceof TimeoutFailure)
    return { type: ErrorType.Timeout, message: `activity timed out (${cause.timeoutType})` };
  return { type: ErrorType.Unknown, message: cause instanceof Error ? cause.message : String(cause) };
}

/** A host activity no worker picked up in time: the host is gone. */
export function isHostLost(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START
  );
}

export function verifyInput(input: VideoInput): VerifyClipInput {
  return {
    batchId: input.batchId,
    video: input.video,
    clipDir: input.clipDir,
    outDir: input.outDir,
    settings: input.settings,
    retryFailed: input.retryFailed,
  };
}

/** Signals the batch (by workflow ID, so it reaches its current run); a batch that is gone does not stop the video. */
export async function signalBatch<T>(input: VideoInput, signal: SignalDefinition<[T]>, payload: T): Promise<void> {
  try {
    await getExternalWorkflowHandle(input.parentWorkflowId).signal(signal, payload);
  } catch (err) {
    const error = String(err);
    log.warn('could not signal the batch workflow', { parent: input.parentWorkflowId, signal: signal.name, error });
  }
}

export async function reportToBatch(input: VideoInput, result: VideoResult): Promise<void> {
  await signalBatch(input, videoFinishedSignal, videoFinishedReport(result));
}
