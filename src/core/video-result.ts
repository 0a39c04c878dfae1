// How a video's outcome is decided. Pure and deterministic: used by the video workflow.
import { ErrorType } from './errors.js';
import type { VideoFinished } from './batch-input.js';
import type { ClipOutput, LineError, SourceInfo, VideoEntry, VideoResult, VideoTimings } from './types.js';

export interface Failure {
  type: string;
  message: string;
}

const byRange = (a: { startFrame: number; endFrame: number }, b: { startFrame: number; endFrame: number }) =>
  a.startFrame - b.startFrame || a.endFrame - b.endFrame;

export function skippedResult(video: VideoEntry, reason: string, clipErrors: LineError[]): VideoResult {
  return {
    videoId: video.videoId,
    line: video.line,
    url: video.url,
    status: 'skipped',
    reason,
    errorType: null,
    clipErrors,
    clips: [],
  };
}

/** Cancelled with its batch: keeps the clips already made; running the batch again continues it. */
export function cancelledResult(video: VideoEntry, clips: ClipOutput[]): VideoResult {
  return {
    videoId: video.videoId,
    line: video.line,
    url: video.url,
    status: 'cancelled',
    reason: 'the batch was cancelled before this video finished',
    errorType: null,
    clipErrors: [],
    clips: [...clips].sort(byRange),
  };
}

export interface VideoOutcome {
  video: VideoEntry;
  /** Malformed lines of the clip file. */
  clipErrors: LineError[];
  /** Clips whose final file was already there. */
  existing: ClipOutput[];
  /** Clips encoded now. */
  produced: ClipOutput[];
  /** Well-formed lines the source could not give (past its end, undecodable). */
  unproducible: LineError[];
  failure: Failure | null;
  /** What the download and encode measured, when they ran (workers of 0.5 and later). */
  timings?: VideoTimings;
}

/** The timings a download's source and an encode reported; undefined when neither said anything. */
export function videoTimings(
  source: Pick<SourceInfo, 'downloadStartedAt' | 'downloadSeconds'> | null,
  encodeSeconds: number | undefined,
): VideoTimings | undefined {
  const timings: VideoTimings = {
    ...(source?.downloadStartedAt !== undefined ? { startedAt: source.downloadStartedAt } : {}),
    ...(source?.downloadSeconds !== undefined ? { downloadSeconds: source.downloadSeconds } : {}),
    ...(encodeSeconds !== undefined ? { encodeSeconds } : {}),
  };
  return Object.keys(timings).length > 0 ? timings : undefined;
}

/**
 * succeeded: every clip line produced; partial: some lines malformed or not
 * producible; failed: download or processing failed for good, or nothing could
 * be produced. Every status but succeeded carries a reason.
 */
export function buildVideoResult(outcome: VideoOutcome): VideoResult {
  const { video, failure } = outcome;
  const clips = [...outcome.existing, ...outcome.produced].sort(byRange);
  const clipErrors = [...outcome.clipErrors, ...outcome.unproducible].sort((a, b) => a.line - b.line);
  // Field order is the report's: identity, outcome, then details.
  const result = (status: VideoResult['status'], reason: string | null, errorType: string | null): VideoResult => ({
    videoId: video.videoId,
    line: video.line,
    url: video.url,
    status,
    reason,
    errorType,
    clipErrors,
    clips,
    ...(outcome.timings ? { timings: outcome.timings } : {}),
  });

  if (failure) return result('failed', failure.message, failure.type);
  if (clipErrors.length === 0) return result('succeeded', null, null);
  if (clips.length === 0) {
    return result(
      'failed',
      `no clip could be produced: ${outcome.unproducible[0]?.reason ?? 'no usable clip line'}`,
      ErrorType.NoClipProducible,
    );
  }
  const parts = [
    outcome.clipErrors.length > 0 ? `${outcome.clipErrors.length} malformed` : null,
    outcome.unproducible.length > 0 ? `${outcome.unproducible.length} not producible from the source` : null,
  ].filter((p): p is string => p !== null);
  return result(
    'partial',
    `${clipErrors.length} of ${clipErrors.length + clips.length} clip lines not produced (${parts.join(', ')})`,
    null,
  );
}

/** What a video tells its batch when it ends (the videoFinished signal). */
export function videoFinishedReport(result: VideoResult): VideoFinished {
  return {
    videoId: result.videoId,
    status: result.status,
    clips: result.clips.length,
    reason: result.reason,
    errorType: result.errorType,
  };
}
